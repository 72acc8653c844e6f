// The internal hook Sandbox.spawn reads for workers: extra mounts and descriptors for one spawn.
// Keyed by a symbol, so it is not part of SpawnOptions' public shape and cannot come from parsed input.
import type { MountSpec } from '../policy/types.js';

export const SPAWN_EXTRAS = Symbol('nsbox.spawnExtras');

export interface SpawnExtras {
  /** Appended after the policy's mounts; built by nsbox itself, already normalized. */
  mounts?: readonly MountSpec[];
  /** Host descriptors the payload gets at `to` (3 to 1024). The caller keeps its copies and closes them. */
  fds?: readonly { fd: number; to: number }[];
}
