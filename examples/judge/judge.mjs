// A tiny code judge: each submission is compiled (C) and run under the `judge` profile with
// tighter limits, and gets exactly one verdict line. Compilation runs in a sandbox too.
import { copyFileSync, mkdtempSync, chmodSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Sandbox } from 'nsbox';

const here = dirname(fileURLToPath(import.meta.url));
const submissions = join(here, 'submissions');
const input = '20 22\n';

const limits = { memory: '64M', pids: 16, cpuTime: '1s', wallTime: '3s', output: '1M' };

async function judge(file) {
  const work = mkdtempSync(join(tmpdir(), 'nsbox-judge-'));
  chmodSync(work, 0o777); // written by the sandbox user: uid 65534 on a root host, the caller when rootless
  try {
    copyFileSync(join(submissions, file), join(work, file));
    const sandbox = new Sandbox({ profile: 'judge', limits, mounts: [{ type: 'bind', source: work, target: '/work', readOnly: false }], cwd: '/work' });
    let command;
    if (extname(file) === '.c') {
      const compile = await sandbox.run('gcc', ['-O2', '-o', 'prog', file], { limits: { cpuTime: '20s', wallTime: '30s', memory: '512M', pids: 64 } });
      if (compile.status !== 'ok') return `compile-error (${compile.status}) ${compile.stderr.split('\n')[0]}`;
      command = ['./prog'];
    } else {
      command = ['python3', file];
    }
    const r = await sandbox.run(command[0], command.slice(1), { input });
    const detail = r.status === 'time-limit' ? ` (${r.limit})` : r.signal ? ` (${r.signal})` : r.exitCode ? ` (exit ${r.exitCode})` : '';
    const answer = r.status === 'ok' ? ` answer=${r.stdout.trim()}` : '';
    return `${r.status}${detail}${answer} cpu=${r.cpuTimeMs.toFixed(0)}ms wall=${r.wallTimeMs.toFixed(0)}ms peak=${(r.memoryPeakBytes / 2 ** 20).toFixed(1)}MiB`;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

const only = process.argv.slice(2);
for (const file of readdirSync(submissions).sort()) {
  if (only.length && !only.includes(file)) continue;
  console.log(`${basename(file).padEnd(14)} ${await judge(file)}`);
}
