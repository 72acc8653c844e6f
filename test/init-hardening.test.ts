// The init the host runs must be out of the payload's reach: not traceable, not readable.
// (Its binary: test/security/proc-exe.test.ts; the host terminal: test/security/tiocsti.test.ts.)
import { describe, expect, it } from 'vitest';
import { okOutput, sh } from './helpers/run.js';

describe('PID 1 (the init)', () => {
  // Writing its exe and the sealed memfd it runs from: test/security/proc-exe.test.ts.
  it('is not dumpable: the payload cannot read its environment, fds or memory', async () => {
    const script = [
      'cat /proc/1/environ >/dev/null 2>&1 && echo environ-readable || echo environ-denied',
      'ls /proc/1/fd >/dev/null 2>&1 && echo fd-readable || echo fd-denied',
      'head -c1 /proc/1/mem >/dev/null 2>&1 && echo mem-readable || echo mem-denied',
      'ls /proc/$$/fd >/dev/null 2>&1 && echo own-fd-readable',
    ].join('; ');
    expect(okOutput(await sh(script))).toBe('environ-denied\nfd-denied\nmem-denied\nown-fd-readable\n');
  });
});
