// The payload's environment: only the policy's variables, plus named host ones, plus per-spawn overrides.
// (That no host variable passes unasked is test/security/leaked-env.test.ts.)
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Sandbox } from '../src/index.js';
import { lines, okOutput } from './helpers/run.js';

function envOf(output: string): Record<string, string> {
  return Object.fromEntries(lines(output).map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]));
}

async function runEnv(sandbox: Sandbox, options: Parameters<Sandbox['run']>[2] = {}): Promise<Record<string, string>> {
  // env as the payload itself: a shell would add PWD and friends.
  return envOf(okOutput(await sandbox.run('/usr/bin/env', [], options)));
}

describe('environment', () => {
  const saved = process.env.NSBOX_SECRET_TEST;
  beforeEach(() => {
    process.env.NSBOX_SECRET_TEST = 'x';
  });
  afterEach(() => {
    if (saved === undefined) delete process.env.NSBOX_SECRET_TEST;
    else process.env.NSBOX_SECRET_TEST = saved;
  });

  it('the policy environment is set and overrides the profile', async () => {
    const env = await runEnv(new Sandbox({ env: { FOO: 'bar baz', LANG: 'C', EMPTY: '' } }));
    expect(env).toMatchObject({ FOO: 'bar baz', LANG: 'C', EMPTY: '', HOME: '/tmp' });
  });

  it('inheritEnv copies named host variables', async () => {
    const env = await runEnv(new Sandbox({ inheritEnv: ['NSBOX_SECRET_TEST', 'NSBOX_SURELY_UNSET_VAR'] }));
    expect(env.NSBOX_SECRET_TEST).toBe('x');
    expect(env).not.toHaveProperty('NSBOX_SURELY_UNSET_VAR');
  });

  it('explicit policy env wins over an inherited value', async () => {
    const env = await runEnv(new Sandbox({ inheritEnv: ['NSBOX_SECRET_TEST'], env: { NSBOX_SECRET_TEST: 'explicit' } }));
    expect(env.NSBOX_SECRET_TEST).toBe('explicit');
  });

  it('inheritEnv takes the host value when the Sandbox is built (as Policy.inheritEnv documents)', async () => {
    const before = process.env.NSBOX_SECRET_TEST;
    const sandbox = new Sandbox({ inheritEnv: ['NSBOX_SECRET_TEST'] });
    process.env.NSBOX_SECRET_TEST = 'changed-after-construction';
    const env = await runEnv(sandbox);
    expect(env.NSBOX_SECRET_TEST).toBe(before);
    expect(sandbox.policy.env.NSBOX_SECRET_TEST).toBe(before);
  });

  it('spawn options env overrides for that process only', async () => {
    const sandbox = new Sandbox({ env: { FOO: 'policy', KEEP: 'kept' } });
    const overridden = await runEnv(sandbox, { env: { FOO: 'option', EXTRA: '1' } });
    expect(overridden).toMatchObject({ FOO: 'option', KEEP: 'kept', EXTRA: '1' });
    const plain = await runEnv(sandbox);
    expect(plain.FOO).toBe('policy');
    expect(plain).not.toHaveProperty('EXTRA');
    expect(sandbox.policy.env.FOO).toBe('policy');
  });

  it('the working directory is the policy cwd, overridable per spawn', async () => {
    const sandbox = new Sandbox({ cwd: '/usr' });
    expect(okOutput(await sandbox.run('/bin/pwd'))).toBe('/usr\n');
    expect(okOutput(await sandbox.run('/bin/pwd', [], { cwd: '/tmp' }))).toBe('/tmp\n');
    expect(okOutput(await new Sandbox({}).run('/bin/pwd'))).toBe('/\n');
  });

  it('PATH from the policy is used to find the command', async () => {
    const sandbox = new Sandbox({ env: { PATH: '/nonexistent:/usr/bin' } });
    expect(okOutput(await sandbox.run('env'))).toContain('PATH=/nonexistent:/usr/bin\n');
  });
});
