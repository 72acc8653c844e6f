// What the sandbox needs to run this very Node binary: the binary, the shared libraries it has mapped, and
// under Electron its whole directory (snapshot, ICU data, bundled libraries). Anything the policy's mounts
// already show at the same path (the default profile binds /usr, /lib*, ...) is left alone; the rest is bound
// read-only at its real host path.
import fs from 'node:fs';
import path from 'node:path';
import type { BindMount, MountSpec } from '../policy/types.js';

export interface NodeRuntime {
  /** The node binary's path inside the sandbox (its real host path). */
  command: string;
  /** Extra read-only binds the policy does not already provide. */
  mounts: BindMount[];
  /** Extra environment: ELECTRON_RUN_AS_NODE under Electron. */
  env: Record<string, string>;
}

/** Host directories a bind shows at the same path inside. Later mounts on top are not considered. */
function samePathBinds(mounts: readonly MountSpec[]): string[] {
  const dirs: string[] = [];
  for (const m of mounts) {
    if (m.type !== 'bind') continue;
    const target = m.target ?? m.source;
    let source: string;
    try {
      source = fs.realpathSync(m.source);
    } catch {
      continue; // an optional bind whose source is missing shows nothing
    }
    if (source === target) dirs.push(source);
  }
  return dirs;
}

const visibleIn = (dirs: readonly string[], file: string) => dirs.some((d) => file === d || file.startsWith(d === '/' ? '/' : `${d}/`));

/** Shared objects this process has mapped (not Node addons: those are the host's, such as koffi). */
function mappedLibraries(): string[] {
  const found = new Set<string>();
  for (const line of fs.readFileSync('/proc/self/maps', 'utf8').split('\n')) {
    const file = line.slice(line.indexOf('/'));
    if (!line.includes('/') || file.endsWith(' (deleted)') || file.endsWith('.node')) continue;
    if (/\.so(\.[0-9.]+)?$/.test(path.basename(file))) found.add(file);
  }
  return [...found];
}

export function nodeRuntime(mounts: readonly MountSpec[], execPath = process.execPath, electron = process.versions.electron !== undefined): NodeRuntime {
  const dirs = samePathBinds(mounts);
  const command = fs.realpathSync(execPath);
  const needed = [electron ? path.dirname(command) : command, ...mappedLibraries()];
  const extra = needed.filter((file) => !visibleIn(dirs, file));
  return {
    command,
    mounts: extra.map((source) => ({ type: 'bind', source, target: source, readOnly: true })),
    env: electron ? { ELECTRON_RUN_AS_NODE: '1' } : {},
  };
}
