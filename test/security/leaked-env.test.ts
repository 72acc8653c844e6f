// Host secrets in the environment (the classic CI leak: tokens and keys of the job runner read by the untrusted
// build step it starts, with a plain `printenv` or through /proc/PID/environ). The host sets
// a secret; the payload's environment, its /proc/self/environ and PID 1's are only what the policy lists.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Sandbox } from '../../src/index.js';
import { lines, okOutput } from '../helpers/run.js';

const SECRET = 'nsbox-host-secret-value';

describe('host environment', () => {
  const saved = process.env.NSBOX_SECRET_TEST;
  beforeEach(() => {
    process.env.NSBOX_SECRET_TEST = SECRET;
  });
  afterEach(() => {
    if (saved === undefined) delete process.env.NSBOX_SECRET_TEST;
    else process.env.NSBOX_SECRET_TEST = saved;
  });

  it('nothing of the host environment passes by default', async () => {
    const sandbox = new Sandbox({});
    // env as the payload itself: a shell would add PWD and friends.
    const out = okOutput(await sandbox.run('/usr/bin/env'));
    const env = Object.fromEntries(lines(out).map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]));
    expect(env).toEqual(sandbox.policy.env);
    expect(env).toEqual({ PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', HOME: '/tmp', LANG: 'C.UTF-8' });
  });

  it("nor is it anywhere a payload can look: its own and PID 1's /proc/PID/environ", async () => {
    const out = okOutput(await new Sandbox({}).run('/bin/sh', ['-c', "tr '\\0' '\\n' < /proc/self/environ; echo ---; cat /proc/1/environ 2>&1; exit 0"]));
    expect(out).toContain('PATH=');
    expect(out).toContain('Permission denied');
    expect(out).not.toContain(SECRET);
  });
});
