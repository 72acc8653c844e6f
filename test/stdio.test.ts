// Standard streams: pipes both ways, volume, separation, 'ignore', 'inherit', files, and EPIPE.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { type SandboxChild, Sandbox } from '../src/index.js';
import { hasPython, PYTHON, useTempDirs } from './helpers/host.js';
import { okOutput } from './helpers/run.js';

const tempDir = useTempDirs();
const MiB = 1024 * 1024;

function collect(stream: NodeJS.ReadableStream | null): Promise<Buffer> {
  if (!stream) return Promise.resolve(Buffer.alloc(0));
  const chunks: Buffer[] = [];
  stream.on('data', (chunk: Buffer) => chunks.push(chunk));
  return new Promise((resolve, reject) => {
    stream.on('end', () => resolve(Buffer.concat(chunks)));
    stream.on('error', reject);
  });
}

/** Fails the test if the child emits 'error'. */
function noErrors(child: SandboxChild): { errors: Error[] } {
  const seen = { errors: [] as Error[] };
  child.on('error', (error) => seen.errors.push(error));
  return seen;
}

describe('stdio', () => {
  it('stdin pipe round trip through cat', async () => {
    const child = new Sandbox({}).spawn('/bin/cat', [], { stdin: 'pipe' });
    const out = collect(child.stdout);
    child.stdin!.write('line one\n');
    child.stdin!.end('line two\n');
    expect((await out).toString()).toBe('line one\nline two\n');
    expect((await child.report).status).toBe('ok');
  });

  it.runIf(hasPython)('10 MiB of stdout arrive without loss', async () => {
    const size = 10 * MiB;
    const child = new Sandbox({}).spawn(PYTHON, ['-c', `import sys; sys.stdout.buffer.write(bytes(range(256)) * ${size / 256})`]);
    const [out, report] = await Promise.all([collect(child.stdout), child.report]);
    expect(report.status).toBe('ok');
    expect(out.length).toBe(size);
    const expected = crypto.createHash('sha256').update(Buffer.alloc(size, 0).map((_, i) => i & 0xff)).digest('hex');
    expect(crypto.createHash('sha256').update(out).digest('hex')).toBe(expected);
  });

  it('10 MiB through stdin and back at the same time (no deadlock)', async () => {
    const input = crypto.randomBytes(10 * MiB);
    const child = new Sandbox({}).spawn('/bin/cat', [], { stdin: 'pipe' });
    const out = collect(child.stdout);
    child.stdin!.end(input);
    const [echoed, report] = await Promise.all([out, child.report]);
    expect(report.status).toBe('ok');
    expect(echoed.length).toBe(input.length);
    expect(echoed.equals(input)).toBe(true);
  });

  it('run() returns 10 MiB of stdout as a string of the right length', async () => {
    const result = await new Sandbox({}).run('/bin/sh', ['-c', "head -c 10485760 /dev/zero | tr '\\0' a"]);
    expect(result.status).toBe('ok');
    expect(result.stdout.length).toBe(10 * MiB);
    expect(/^a*$/.test(result.stdout)).toBe(true);
  });

  it('stderr is separate from stdout', async () => {
    const result = await new Sandbox({}).run('/bin/sh', ['-c', 'echo out; echo err >&2; echo out2']);
    expect(result.stdout).toBe('out\nout2\n');
    expect(result.stderr).toBe('err\n');
  });

  it("'ignore' gives no streams and the payload still runs", async () => {
    const child = new Sandbox({}).spawn('/bin/sh', ['-c', 'cat; echo gone; echo gone >&2'], { stdin: 'ignore', stdout: 'ignore', stderr: 'ignore' });
    expect([child.stdin, child.stdout, child.stderr]).toEqual([null, null, null]);
    const report = await child.report;
    expect(report.status).toBe('ok');
  });

  it("stdio 'ignore' is /dev/null", async () => {
    // python3 as the payload reports its own fds 0 and 1 on stderr (a shell redirection would move them).
    const code = "import os, sys; sys.stderr.write(os.readlink('/proc/self/fd/0') + '\\n' + os.readlink('/proc/self/fd/1') + '\\n')";
    const child = new Sandbox({}).spawn(PYTHON, ['-c', code], { stdin: 'ignore', stdout: 'ignore', stderr: 'pipe' });
    expect(child.stdin).toBeNull();
    expect(child.stdout).toBeNull();
    let err = '';
    child.stderr!.on('data', (chunk: Buffer) => (err += chunk));
    const report = await child.report;
    expect(report.status).toBe('ok');
    expect(err).toBe('/dev/null\n/dev/null\n');
  });

  it("'inherit' does not crash", async () => {
    const child = new Sandbox({}).spawn('/bin/true', [], { stdin: 'inherit', stdout: 'inherit', stderr: 'inherit' });
    const seen = noErrors(child);
    expect([child.stdin, child.stdout, child.stderr]).toEqual([null, null, null]);
    expect((await child.report).status).toBe('ok');
    expect(seen.errors).toEqual([]);
  });

  it('a file path for stdout and stderr is truncated and written; a file path for stdin is read', async () => {
    const dir = tempDir('nsbox-stdio-');
    const input = path.join(dir, 'in.txt');
    const output = path.join(dir, 'out.txt');
    const errors = path.join(dir, 'err.txt');
    fs.writeFileSync(input, 'from a file\n');
    fs.writeFileSync(output, 'old content that must disappear, longer than the new one\n');
    const child = new Sandbox({}).spawn('/bin/sh', ['-c', 'cat; echo to-err >&2'], { stdin: input, stdout: output, stderr: errors });
    expect(child.stdout).toBeNull();
    expect((await child.report).status).toBe('ok');
    expect(fs.readFileSync(output, 'utf8')).toBe('from a file\n');
    expect(fs.readFileSync(errors, 'utf8')).toBe('to-err\n');
  });

  it('run({ input }) feeds stdin and closes it', async () => {
    const sandbox = new Sandbox({});
    expect(okOutput(await sandbox.run('/bin/cat', [], { input: 'hello input\n' }))).toBe('hello input\n');
    expect(okOutput(await sandbox.run('/usr/bin/od', ['-An', '-tu1'], { input: new Uint8Array([1, 2, 250]) })).trim().split(/\s+/)).toEqual(['1', '2', '250']);
    expect(okOutput(await sandbox.run('/usr/bin/wc', ['-c'], { input: '' })).trim()).toBe('0');
  });

  it('without input, stdin is empty (not the host terminal)', async () => {
    expect(okOutput(await new Sandbox({}).run('/bin/cat'))).toBe('');
  });

  it('a payload that exits without reading a large stdin does not crash the host', async () => {
    const child = new Sandbox({}).spawn('/bin/true', [], { stdin: 'pipe' });
    const seen = noErrors(child);
    child.stdin!.write(Buffer.alloc(8 * MiB, 1));
    child.stdin!.end();
    const report = await child.report;
    expect(report.status).toBe('ok');
    // Give a late EPIPE on the socket a chance to surface.
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(seen.errors).toEqual([]);
  });

  it('run() with a large input and a payload that ignores it resolves', async () => {
    const result = await new Sandbox({}).run('/bin/true', [], { input: Buffer.alloc(8 * MiB, 2) });
    expect(result.status).toBe('ok');
  });
  // maxBuffer against a payload printing without end: test/security/resource-bombs.test.ts.
});
