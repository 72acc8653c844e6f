// Short ways to run things in a sandbox and look at the result.
import { expect } from 'vitest';
import { type Policy, type RunOptions, type RunResult, Sandbox } from '../../src/index.js';
import { PYTHON } from './host.js';

/** Runs `script` with /bin/sh -c in a sandbox built from `policy`. */
export function sh(script: string, policy: Policy = {}, options: RunOptions = {}): Promise<RunResult> {
  return new Sandbox(policy).run('/bin/sh', ['-c', script], options);
}

/** Runs python3 code in a sandbox; extra arguments land in sys.argv[1:]. */
export function py(code: string, policy: Policy = {}, args: string[] = [], options: RunOptions = {}): Promise<RunResult> {
  return new Sandbox(policy).run(PYTHON, ['-c', code, ...args], options);
}

/** Asserts the run exited 0 and returns its stdout; shows stderr when it did not. */
export function okOutput(result: RunResult): string {
  expect({ status: result.status, exitCode: result.exitCode, stderr: result.stderr }).toEqual({ status: 'ok', exitCode: 0, stderr: '' });
  return result.stdout;
}

export function lines(text: string): string[] {
  return text.split('\n').filter((line) => line !== '');
}

/** Awaits `promise` and returns what it rejected with; fails the test if it resolved. */
export async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    const value = await promise;
    throw new RejectionMissing(value);
  } catch (error) {
    if (error instanceof RejectionMissing) {
      expect.fail(`expected a rejection, but it resolved with ${JSON.stringify(error.value, null, 1)?.slice(0, 2000)}`);
    }
    return error as Error;
  }
}

class RejectionMissing extends Error {
  constructor(readonly value: unknown) {
    super('resolved');
  }
}

/** Python that tries `open(path, 'w')` for each argv path and prints "path OK" or "path ERRNO". */
export const TRY_WRITE_PY = `
import errno, sys
for p in sys.argv[1:]:
    try:
        with open(p, 'w') as f:
            f.write('x')
        print(p, 'OK')
    except OSError as e:
        print(p, errno.errorcode.get(e.errno, e.errno))
`;
