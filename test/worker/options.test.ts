// startWorker's arguments are checked before anything is spawned: PolicyError naming field, value and fix.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { PolicyError, Sandbox, startWorker, type WorkerOptions } from '../../src/index.js';
import { useTempDirs } from '../helpers/host.js';
import { fixtures } from './helpers.js';

const tempDir = useTempDirs();
const echo = path.join(fixtures, 'echo.mjs');

function refusal(modulePath: unknown, options: unknown, sandbox = new Sandbox()): PolicyError {
  try {
    startWorker(sandbox, modulePath as string, options as WorkerOptions);
  } catch (error) {
    expect(error).toBeInstanceOf(PolicyError);
    return error as PolicyError;
  }
  return expect.fail('startWorker did not throw');
}

describe('startWorker options', () => {
  it.each([
    ['a missing module', path.join(fixtures, 'nope.mjs'), {}, 'modulePath', /cannot be resolved on the host \(ENOENT\)/],
    ['a directory as module', fixtures, {}, 'modulePath', /is not a file/],
    ['a non-string module', 42, {}, 'modulePath', /must be a path to a file/],
    ['a root that does not contain the module', echo, { root: path.join(fixtures, '..', '..') + '/helpers' }, 'options.root', /does not contain the module/],
    ['the host root as root', echo, { root: '/' }, 'options.root', /whole host filesystem/],
    ['a typo', echo, { maxMesageBytes: 10 }, 'options.maxMesageBytes', /did you mean 'maxMessageBytes'/],
    ['a tiny maxMessageBytes', echo, { maxMessageBytes: 10 }, 'options.maxMessageBytes', /between 64 bytes and 1 GiB/],
    ['a huge maxMessageBytes', echo, { maxMessageBytes: '2G' }, 'options.maxMessageBytes', /between 64 bytes and 1 GiB/],
    ['a bad size', echo, { maxMessageBytes: 'lots' }, 'options.maxMessageBytes', /is not a size/],
    ['a negative requestTimeout', echo, { requestTimeout: -1 }, 'options.requestTimeout', /above 0/],
    ['execArgv that is not a flag', echo, { execArgv: ['evil.js'] }, 'options.execArgv', /array of strings/],
    ['args with NUL', echo, { args: ['a\0b'] }, 'options.args', /without NUL/],
    ['the channel variable in env', echo, { env: { NSBOX_WORKER_FD: '0' } }, 'options.env.NSBOX_WORKER_FD', /set by nsbox/],
  ])('refuses %s', (_what, modulePath, options, field, problem) => {
    const error = refusal(modulePath, options);
    expect(error.field).toBe(field);
    expect(error.message).toMatch(problem);
    expect(error.fix.length).toBeGreaterThan(0);
  });

  it('refuses a sandbox without a mount namespace', () => {
    const error = refusal(echo, {}, new Sandbox({ namespaces: { mount: false } }));
    expect(error.field).toBe('policy.namespaces.mount');
  });

  it('refuses a module reached through a symlink that leaves root', () => {
    const dir = tempDir();
    fs.symlinkSync(echo, path.join(dir, 'link.mjs'));
    const error = refusal(path.join(dir, 'link.mjs'), { root: dir });
    expect(error.field).toBe('options.root');
  });

  it('leaves no descriptor open after a refused start', () => {
    const before = fs.readdirSync('/proc/self/fd').length;
    refusal(echo, { requestTimeout: 0 });
    expect(fs.readdirSync('/proc/self/fd').length).toBe(before);
  });

  it('checks the request timeout of a single request', async () => {
    const worker = startWorker(new Sandbox(), echo);
    await expect(worker.request('ping', undefined, { timeout: -5 })).rejects.toMatchObject({ field: 'options.timeout' });
    await expect(worker.request('' as never)).rejects.toMatchObject({ field: 'method' });
    await worker.terminate();
  });
});
