// Running a child to completion: its input written, its output collected, an AbortSignal honoured.
// Shared by Sandbox.run and the pool's warm jobs.
import type { SandboxChild } from './child.js';
import type { RunResult } from './report.js';
import type { RunOptions, SpawnOptions } from './sandbox.js';

export const DEFAULT_MAX_BUFFER = 64 << 20;

/** SIGKILL the child when `signal` aborts (at once if it already has). */
export function killOnAbort(child: SandboxChild, signal: AbortSignal | undefined): void {
  if (!signal) return;
  const abort = () => child.kill('SIGKILL');
  if (signal.aborted) return void abort();
  signal.addEventListener('abort', abort, { once: true });
  child.report.finally(() => signal.removeEventListener('abort', abort)).catch(() => {});
}

/** Feed `input` (or nothing) to stdin, keep up to `maxBuffer` bytes of output, and resolve with the report and the output. */
export async function collectRun(child: SandboxChild, input: string | Uint8Array | undefined, maxBuffer = DEFAULT_MAX_BUFFER): Promise<RunResult> {
  const chunks: { stdout: Buffer[]; stderr: Buffer[] } = { stdout: [], stderr: [] };
  let kept = 0;
  let overflowed = false;
  for (const name of ['stdout', 'stderr'] as const) {
    child[name]?.on('data', (chunk: Buffer) => {
      if (overflowed) return;
      if (kept + chunk.length > maxBuffer) {
        // Keep a clean prefix: nothing after the first chunk that did not fit.
        overflowed = true;
        child.kill('SIGKILL');
        return;
      }
      kept += chunk.length;
      chunks[name].push(chunk);
    });
  }
  // The caller owns stdin here: write the input (or nothing) and close it, so a reading payload sees EOF.
  if (input !== undefined) child.stdin?.end(input);
  else child.stdin?.end();
  const report = await child.report;
  return {
    ...report,
    stdout: Buffer.concat(chunks.stdout).toString('utf8'),
    stderr: Buffer.concat(chunks.stderr).toString('utf8'),
  };
}

/** run(): spawn with piped output (and stdin piped when there is input), then collect. `spawn` is a Sandbox's or a warm sandbox's. */
export function runToEnd(spawn: (options: SpawnOptions) => SandboxChild, options: RunOptions): Promise<RunResult> {
  const { input, maxBuffer = DEFAULT_MAX_BUFFER, ...spawnOptions } = options;
  const child = spawn({
    ...spawnOptions,
    stdin: input !== undefined ? 'pipe' : (spawnOptions.stdin ?? 'ignore'),
    stdout: 'pipe',
    stderr: 'pipe',
  });
  return collectRun(child, input, maxBuffer);
}
