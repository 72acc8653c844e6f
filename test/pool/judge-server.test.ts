// examples/judge-server runs as a user would run it (node server.mjs), and answers submissions over HTTP
// with their verdicts: C (compiled in a fresh sandbox) and Python, through the pool's warm sandboxes.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { needsCgroups, noCgroupReason } from '../helpers/limits.js';

const repo = join(import.meta.dirname, '..', '..');
let server: ChildProcess | undefined;
let url = '';

async function submit(body: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
  const response = await fetch(url, { method: 'POST', body: JSON.stringify(body) });
  return { status: response.status, json: (await response.json()) as Record<string, unknown> };
}

// The judge's limits need cgroups (memory, pids, cpuTime without bestEffort).
describe.skipIf(noCgroupReason !== null)(needsCgroups('examples/judge-server'), () => {
  beforeAll(async () => {
    if (!existsSync(join(repo, 'dist/index.js'))) execFileSync(join(repo, 'node_modules/.bin/tsup'), { cwd: repo, stdio: 'ignore' });
    server = spawn(process.execPath, [join(repo, 'examples', 'judge-server', 'server.mjs')], { cwd: repo, env: { ...process.env, PORT: '0' }, stdio: ['ignore', 'pipe', 'inherit'] });
    url = await new Promise<string>((resolve, reject) => {
      server!.stdout!.on('data', (chunk: Buffer) => {
        const match = /(http:\/\/\S+)/.exec(chunk.toString());
        if (match) resolve(match[1]);
      });
      server!.on('exit', (code) => reject(new Error(`server exited ${code}`)));
    });
  }, 60_000);
  afterAll(() => {
    server?.kill('SIGINT');
  });

  it('judges Python: ok, wrong-answer, runtime-error, memory-limit', async () => {
    expect((await submit({ language: 'python', source: 'a, b = map(int, input().split()); print(a + b)', input: '20 22\n', expected: '42' })).json)
      .toMatchObject({ verdict: 'ok', exitCode: 0, stdout: '42\n' });
    expect((await submit({ language: 'python', source: 'print(41)', expected: '42' })).json).toMatchObject({ verdict: 'wrong-answer' });
    expect((await submit({ language: 'python', source: 'raise SystemExit(3)' })).json).toMatchObject({ verdict: 'runtime-error', exitCode: 3 });
    expect((await submit({ language: 'python', source: 'x = bytearray(200 << 20)' })).json).toMatchObject({ verdict: 'memory-limit' });
  });

  it('judges C: ok, time-limit, compile-error', async () => {
    const ok = await submit({ language: 'c', source: '#include <stdio.h>\nint main(void){int a,b;scanf("%d %d",&a,&b);printf("%d\\n",a+b);}', input: '1 2', expected: '3' });
    expect(ok.json).toMatchObject({ verdict: 'ok', stdout: '3\n' });
    const spin = await submit({ language: 'c', source: 'int main(void){volatile unsigned long n=0;for(;;)n++;}' });
    expect(spin.json).toMatchObject({ verdict: 'time-limit', limit: 'cpu' });
    expect(spin.json.cpuTimeMs as number).toBeGreaterThanOrEqual(1000);
    expect((await submit({ language: 'c', source: 'int main(void) { return }' })).json).toMatchObject({ verdict: 'compile-error' });
  }, 60_000);

  it('rejects a bad request with 400', async () => {
    expect((await submit({ language: 'cobol', source: '' })).status).toBe(400);
  });
});
