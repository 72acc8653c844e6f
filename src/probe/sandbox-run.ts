// The real test: start a default-profile sandbox and run `true` in it.
import { existsSync } from 'node:fs';
import { CommandError, SandboxError, SetupError, UnsupportedError } from '../errors.js';
import { Sandbox } from '../sandbox.js';
import type { ProbeItem } from './types.js';

const TIMEOUT_MS = 10_000;

/** How the test spawn went, for the user-namespace check to interpret. */
export type SandboxOutcome = 'ran' | 'userns-refused' | 'failed';

export interface SandboxCheck {
  item: ProbeItem;
  outcome: SandboxOutcome;
  /** The hint nsbox gave with the failure, if any. */
  hint?: string;
}

/** /bin/true on most hosts; some (NixOS) have neither path, and then PATH lookup inside decides. */
function trueCommand(): string {
  return ['/bin/true', '/usr/bin/true'].find((path) => existsSync(path)) ?? 'true';
}

export async function checkSandbox(privileged: boolean): Promise<SandboxCheck> {
  const base = { id: 'sandbox', name: 'default sandbox', required: true };
  const command = trueCommand();
  const mode = process.geteuid?.() === 0 ? 'as root' : 'rootless';
  const rootNote = privileged ? '; for rootless use see user namespaces' : '';
  const timeout = AbortSignal.timeout(TIMEOUT_MS);
  try {
    const result = await new Sandbox({ profile: 'default' }).run(command, [], { signal: timeout });
    if (result.status === 'ok') {
      const detail = `ran ${command} ${mode}: setup ${result.setupMs.toFixed(1)} ms${rootNote}`;
      return { item: { ...base, ok: true, detail }, outcome: 'ran' };
    }
    const why = timeout.aborted ? `did not finish within ${TIMEOUT_MS / 1000} s` : (result.error ?? `ended with status ${result.status}`);
    return { item: { ...base, ok: false, detail: `${command} ${mode}: ${why}`, fix: 'report this with the output of `nsbox doctor --json`' }, outcome: 'failed' };
  } catch (error) {
    // The namespaces and mounts were all built; only the test command was missing. The sandbox works.
    if (error instanceof CommandError) {
      return { item: { ...base, ok: true, detail: `set up ${mode}; the test command failed: ${error.message}` }, outcome: 'ran' };
    }
    const message = error instanceof Error ? error.message : String(error);
    const hint = error instanceof SetupError ? error.hint : undefined;
    const item: ProbeItem = { ...base, ok: false, detail: `${mode}: ${message}`, ...(hint ? { fix: hint } : {}) };
    if (!(error instanceof SandboxError)) item.fix ??= 'report this with the output of `nsbox doctor --json`';
    return { item, outcome: error instanceof UnsupportedError ? 'userns-refused' : 'failed', hint };
  }
}
