// Typed errors: what a caller sees when the command, the policy or the setup is wrong.
import { describe, expect, it } from 'vitest';
import { CommandError, PolicyError, type RunReport, Sandbox, SandboxError, SetupError } from '../src/index.js';
import { rejection } from './helpers/run.js';

function policyError(run: () => unknown): PolicyError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(PolicyError);
    return error as PolicyError;
  }
  return expect.fail('expected a PolicyError, nothing was thrown');
}

describe('errors', () => {
  it('a command missing from PATH rejects with CommandError ENOTFOUND', async () => {
    const error = await rejection(new Sandbox({}).run('nsbox-no-such-command'));
    expect(error).toBeInstanceOf(CommandError);
    const command = error as CommandError;
    expect(command.code).toBe('ENOTFOUND');
    expect(command.errno).toBe('ENOENT');
    expect(command.command).toBe('nsbox-no-such-command');
    expect(command.message).toContain('nsbox-no-such-command');
    expect(command.message).toContain('not found');
    expect(command.message).toContain('PATH=');
  });

  it('a missing absolute path rejects with CommandError ENOTFOUND', async () => {
    const error = await rejection(new Sandbox({}).run('/usr/bin/nsbox-no-such-command'));
    expect(error).toBeInstanceOf(CommandError);
    expect((error as CommandError).code).toBe('ENOTFOUND');
    expect(error.message).toContain('/usr/bin/nsbox-no-such-command');
  });

  it('a file without execute permission rejects with EACCES', async () => {
    const sandbox = new Sandbox({ mounts: [{ type: 'file', target: '/opt/script.sh', content: '#!/bin/sh\necho hi\n', mode: 0o644 }] });
    const error = await rejection(sandbox.run('/opt/script.sh'));
    expect(error).toBeInstanceOf(CommandError);
    const command = error as CommandError;
    expect(command.errno).toBe('EACCES');
    expect(command.code).toBe('EEXEC');
    expect(command.message).toContain('/opt/script.sh');
    expect(command.message).toContain('not executable');
  });

  it('a directory as the command rejects with EACCES', async () => {
    const error = await rejection(new Sandbox({}).run('/usr/bin'));
    expect(error).toBeInstanceOf(CommandError);
    expect((error as CommandError).errno).toBe('EACCES');
  });

  it('bad policies throw PolicyError naming the field, synchronously', () => {
    const uid = policyError(() => new Sandbox({ uid: -1 }));
    expect(uid.field).toBe('policy.uid');
    expect(uid.code).toBe('EPOLICY');
    const network = policyError(() => new Sandbox({ network: 'internet' as never }));
    expect(network.field).toBe('policy.network');
    expect(network.message).toContain('internet');
    const hostUid = policyError(() => new Sandbox({ hostUid: 0 }));
    expect(hostUid.field).toBe('policy.hostUid');
    const command = policyError(() => new Sandbox({}).spawn(''));
    expect(command.field).toBe('command');
    const cwd = policyError(() => new Sandbox({}).spawn('/bin/true', [], { cwd: 'relative/dir' }));
    expect(cwd.field).toBe('options.cwd');
    const env = policyError(() => new Sandbox({}).spawn('/bin/true', [], { env: { 'BAD-NAME': 'x' } }));
    expect(env.field).toBe('options.env.BAD-NAME');
  });

  it("a setup failure arrives as an 'error' event and a rejected report, never as 'spawn' or 'exit'", async () => {
    const child = new Sandbox({}).spawn('nsbox-no-such-command');
    const events: string[] = [];
    child.on('spawn', () => events.push('spawn'));
    child.on('exit', () => events.push('exit'));
    const emitted = new Promise<SandboxError>((resolve) => child.on('error', (error) => {
      events.push('error');
      resolve(error);
    }));
    const rejected = await rejection(child.report);
    const error = await emitted;
    expect(error).toBe(rejected);
    expect(error).toBeInstanceOf(CommandError);
    expect(events).toEqual(['error']);
  });

  it("only listening to 'error' does not leave an unhandled rejection", async () => {
    const child = new Sandbox({}).spawn('nsbox-no-such-command');
    const error = await new Promise<SandboxError>((resolve) => child.on('error', resolve));
    expect(error).toBeInstanceOf(CommandError);
    // vitest fails the run on unhandled rejections; give one a chance to happen.
    await new Promise((resolve) => setTimeout(resolve, 20));
  });

  it('a missing working directory rejects with a SetupError about chdir', async () => {
    const error = await rejection(new Sandbox({ cwd: '/nonexistent-cwd' }).run('/bin/true'));
    expect(error).toBeInstanceOf(SetupError);
    expect(error).not.toBeInstanceOf(CommandError);
    const setup = error as SetupError;
    expect(setup.errno).toBe('ENOENT');
    expect(setup.step).toContain('chdir');
    expect(setup.message).toContain('chdir /nonexistent-cwd');
    expect(setup.code).toBe('ESETUP');
  });

  it('a failing payload is not an error: run() resolves with its status', async () => {
    const report: RunReport = await new Sandbox({}).run('/bin/false');
    expect(report.status).toBe('runtime-error');
    expect(report.exitCode).toBe(1);
  });
});
