// A small judge service: POST /submit with { language: 'python' | 'c', source, input?, expected? } and get the
// verdict as JSON. Runs go through a SandboxPool of warm sandboxes; C is compiled first in a fresh sandbox.
//
//   node examples/judge-server/server.mjs            # listens on $PORT (default 8080)
//   curl -s localhost:8080/submit -d '{"language":"python","source":"print(6*7)","expected":"42"}'
//
// The compiled C programs are handed to the pool's sandboxes through one read-only directory that the sandbox
// user may enter but not list (mode 0711); each program has a random 128-bit name and is deleted after its run,
// so a submission cannot find another's program. Python source travels as an argument (python3 -c).
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Sandbox, SandboxPool } from 'nsbox';

const LIMITS = { memory: '64M', pids: 16, cpuTime: '1s', wallTime: '3s', output: '1M' };
const COMPILE_LIMITS = { memory: '512M', pids: 64, cpuTime: '20s', wallTime: '30s' };
const MAX_SOURCE = 64 << 10;

/** Verdict of a run: the sandbox's status, or wrong-answer when the output differs from what was expected. */
function verdict(result, expected) {
  if (result.status === 'ok' && expected !== undefined && result.stdout.trim() !== String(expected).trim()) return 'wrong-answer';
  return result.status;
}

export function createJudge({ concurrency = 2 } = {}) {
  const programs = mkdtempSync(join(tmpdir(), 'nsbox-judge-programs-'));
  chmodSync(programs, 0o711);
  const pool = new SandboxPool(
    { profile: 'judge', limits: LIMITS, mounts: [{ type: 'bind', source: programs, target: '/programs' }] },
    { concurrency, maxQueue: 100 },
  );

  async function compileC(source) {
    const work = mkdtempSync(join(tmpdir(), 'nsbox-judge-compile-'));
    chmodSync(work, 0o777); // written by the sandbox user
    try {
      writeFileSync(join(work, 'main.c'), source);
      const compiler = new Sandbox({ profile: 'judge', limits: COMPILE_LIMITS, mounts: [{ type: 'bind', source: work, target: '/work', readOnly: false }], cwd: '/work' });
      const result = await compiler.run('gcc', ['-O2', '-o', 'prog', 'main.c']);
      if (result.status !== 'ok') return { error: result.stderr.slice(0, 2000) || result.status };
      const name = `${randomBytes(16).toString('hex')}.bin`;
      writeFileSync(join(programs, name), readFileSync(join(work, 'prog')), { mode: 0o755 });
      return { name };
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  }

  async function judge(submission) {
    const { language, source, input = '', expected } = submission;
    if (typeof source !== 'string' || source.length > MAX_SOURCE) return { status: 400, body: { error: `source must be a string of at most ${MAX_SOURCE} bytes` } };
    let command;
    let program;
    if (language === 'python') {
      command = ['python3', '-c', source];
    } else if (language === 'c') {
      const compiled = await compileC(source);
      if (compiled.error) return { status: 200, body: { verdict: 'compile-error', detail: compiled.error } };
      program = join(programs, compiled.name);
      command = [`/programs/${compiled.name}`];
    } else {
      return { status: 400, body: { error: "language must be 'python' or 'c'" } };
    }
    try {
      const result = await pool.run(command[0], command.slice(1), { input });
      return {
        status: 200,
        body: {
          verdict: verdict(result, expected),
          exitCode: result.exitCode,
          signal: result.signal,
          limit: result.limitExceeded,
          cpuTimeMs: +result.cpuTimeMs.toFixed(1),
          wallTimeMs: +result.wallTimeMs.toFixed(1),
          memoryPeakBytes: result.memoryPeakBytes,
          stdout: result.stdout.slice(0, 4096),
        },
      };
    } catch (error) {
      // A full queue or a sandbox that could not be set up: the client may retry later.
      return { status: error.code === 'EQUEUEFULL' ? 503 : 500, body: { error: error.message, code: error.code } };
    } finally {
      if (program) rmSync(program, { force: true });
    }
  }

  const server = http.createServer((req, res) => {
    const reply = ({ status, body }) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(`${JSON.stringify(body)}\n`);
    };
    if (req.method !== 'POST' || req.url !== '/submit') return reply({ status: 404, body: { error: 'POST /submit' } });
    const chunks = [];
    let size = 0;
    req.on('data', (chunk) => {
      size += chunk.length;
      if (size > 2 * MAX_SOURCE) req.destroy();
      else chunks.push(chunk);
    });
    req.on('end', async () => {
      let submission;
      try {
        submission = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      } catch {
        return reply({ status: 400, body: { error: 'the body must be JSON' } });
      }
      reply(await judge(submission));
    });
  });

  return {
    server,
    async close() {
      await new Promise((resolve) => server.close(resolve));
      await pool.close();
      rmSync(programs, { recursive: true, force: true });
    },
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const judge = createJudge();
  const port = Number(process.env.PORT ?? 8080);
  judge.server.listen(port, '127.0.0.1', () => console.log(`judge listening on http://127.0.0.1:${judge.server.address().port}/submit`));
  process.on('SIGINT', () => judge.close().then(() => process.exit(0)));
}
