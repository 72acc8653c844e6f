// The `judge` profile (seccomp preset 'judge': an allow list whose default is kill-process) in real sandboxes:
// honest programs in every runtime the preset is made for run to 'ok'; a forbidden call ends the whole run with
// status 'syscall-violation', the syscall named in the report and in a 'violation' event; socket() of a network
// family fails with EACCES (documented: the JVM probes it) while AF_UNIX works.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type MountSpec, type Policy, Sandbox } from '../../src/index.js';
import { nativeArch, syscallNumber } from '../../src/seccomp/index.js';
import { hostProcessesMatching, PYTHON, hasPython, waitFor } from '../helpers/host.js';
import { compileSyscallFixtures, hasGcc, judgeCgroupProblem, marker, parseChecks, type SyscallFixtures, watch } from '../helpers/syscalls.js';

const JAVA = '/usr/bin/java';
const noCgroupReason = judgeCgroupProblem();
const hasJava = fs.existsSync(JAVA);

/**
 * Node's binary must be visible inside: the default view binds /usr, /bin, /lib...; a node installed elsewhere
 * (nvm, /opt) gets its directory bound read-only at the same path.
 */
function nodeMounts(): MountSpec[] {
  const real = fs.realpathSync(process.execPath);
  const visible = ['/usr/', '/bin/', '/lib/', '/sbin/'].some((prefix) => real.startsWith(prefix));
  return visible ? [] : [{ type: 'bind', source: path.dirname(real), target: path.dirname(real) }];
}

/**
 * The judge profile needs a cgroup for its memory and pids limits. Where this lane has none (rootless on a cgroup
 * v1 host), its fallback to RLIMIT_AS would stop V8 and the JVM from reserving their address space, which is not
 * what this file tests: there the judge seccomp preset runs over the default profile instead, and says so.
 */
function judgePolicy(extra: Policy = {}): Policy {
  if (noCgroupReason === null) return { profile: 'judge', ...extra };
  return { seccomp: 'judge', ...extra };
}
const judgeTitle = noCgroupReason === null ? 'judge profile' : `judge seccomp preset over the default profile [no cgroup here for the judge profile's limits: ${noCgroupReason.slice(0, 100)}]`;

/**
 * The judge profile's 2 s CPU / 5 s wall are for one submission; these runs start whole runtimes beside other test
 * files, so they get more. (Without the judge profile there are no limits to widen.)
 */
const ROOMY = noCgroupReason === null ? { limits: { cpuTime: '20s', wallTime: '30s' } } : {};

describe.skipIf(!hasGcc)(judgeTitle + (hasGcc ? '' : ' [skipped: gcc is not installed]'), () => {
  let fx: SyscallFixtures;
  beforeAll(() => {
    fx = compileSyscallFixtures(['attacks', 'compute'], ['compute']);
    if (noCgroupReason !== null) console.warn(`${judgeTitle}`);
  });
  afterAll(() => fx?.cleanup());

  it("runs a dynamic and a static gcc-built C program to 'ok'", async () => {
    const sandbox = new Sandbox(judgePolicy({ mounts: fx.mounts }));
    for (const program of ['compute', 'compute-static']) {
      const r = await sandbox.run(fx.inside(program), [], ROOMY);
      expect({ program, status: r.status, exitCode: r.exitCode, violation: r.violation, stdout: r.stdout, stderr: r.stderr }).toEqual({
        program, status: 'ok', exitCode: 0, violation: null, stdout: 'primes=148933 ok\n', stderr: '',
      });
      expect(r.enforced.seccomp).toBe('judge');
    }
  });

  it.skipIf(!hasPython)(`runs python3 (${PYTHON}): threads, a subprocess, a temp file, hashing, json`, async () => {
    const code = [
      'import hashlib, json, subprocess, sys, tempfile, threading',
      'box = []',
      't = threading.Thread(target=lambda: box.append(sum(i * i for i in range(100000))))',
      't.start(); t.join()',
      "out = subprocess.run(['/bin/echo', 'child'], capture_output=True, text=True).stdout.strip()",
      'with tempfile.TemporaryFile() as f:',
      "    f.write(json.dumps({'n': box[0]}).encode()); f.seek(0); n = json.loads(f.read())['n']",
      "print(n, out, hashlib.sha256(b'x').hexdigest()[:8], 'ok')",
    ].join('\n');
    const r = await new Sandbox(judgePolicy()).run(PYTHON, ['-c', code], ROOMY);
    expect({ status: r.status, violation: r.violation, stdout: r.stdout, stderr: r.stderr }).toEqual({
      status: 'ok', violation: null, stdout: '333328333350000 child 2d711642 ok\n', stderr: '',
    });
    expect(r.enforced.seccomp).toBe('judge');
  });

  it(`runs node (${process.execPath} -e 'console.log(1+1)')`, async () => {
    const r = await new Sandbox(judgePolicy({ mounts: nodeMounts() })).run(process.execPath, ['-e', 'console.log(1+1)'], ROOMY);
    expect({ status: r.status, violation: r.violation, stdout: r.stdout, stderr: r.stderr }).toEqual({ status: 'ok', violation: null, stdout: '2\n', stderr: '' });
  });

  it.skipIf(!hasJava)(`runs \`java -version\` (${JAVA})`, async () => {
    const r = await new Sandbox(judgePolicy()).run(JAVA, ['-version'], ROOMY);
    expect({ status: r.status, violation: r.violation, exitCode: r.exitCode }).toEqual({ status: 'ok', violation: null, exitCode: 0 });
    expect(r.stderr).toMatch(/^(openjdk|java) version "/m);
  });

  it("mount() ends the run: 'syscall-violation' naming mount, a 'violation' event before 'exit', and no process of the run survives", async () => {
    const word = marker('judge-mount');
    // attacks forks a sleeper first (it keeps this argv, marker included), then waits for a byte on stdin before it
    // calls mount; meanwhile the host counts both processes (so "none survives" below is not vacuous).
    const child = new Sandbox(judgePolicy({ mounts: fx.mounts })).spawn(fx.inside('attacks'), [`marker:${word}`, 'fork-sleeper', 'wait-stdin', 'mount', 'uname'], {
      stdin: 'pipe',
    });
    let seenAlive = -1;
    let out = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (seenAlive < 0 && out.includes('fork-sleeper ok')) {
        seenAlive = hostProcessesMatching(word).length;
        child.stdin!.end('g');
      }
    });
    const w = await watch(child);
    expect(seenAlive).toBe(2);
    expect(w.report.status).toBe('syscall-violation');
    expect(w.report.violation).toEqual({ syscall: 'mount', nr: syscallNumber('mount'), arch: nativeArch().token });
    expect(w.violations).toEqual([w.report.violation]);
    expect(w.events.filter((e) => e === 'violation' || e === 'exit')).toEqual(['violation', 'exit']);
    const { results, done } = parseChecks(w.stdout);
    // The sleeper was started, the calls before mount ran, nothing after it did.
    expect(results.get('fork-sleeper')).toMatch(/^ok \d+$/);
    expect(results.get('wait-stdin')).toBe('ok 1');
    expect(results.has('mount')).toBe(false);
    expect(results.has('uname')).toBe(false);
    expect(done).toBe(false);
    // The payload, its sleeping child and the sandbox's PID 1 are all gone.
    expect(await waitFor(() => hostProcessesMatching(word).length === 0, 2000)).toBe(true);
    expect(fs.existsSync(`/proc/${child.pid}`)).toBe(false);
  });

  it('socket(AF_INET) fails with EACCES (documented) and the program goes on; AF_UNIX sockets work', async () => {
    const w = await watch(new Sandbox(judgePolicy({ mounts: fx.mounts })).spawn(fx.inside('attacks'), ['socket-inet', 'socket-unix']));
    expect({ status: w.report.status, violation: w.report.violation, stderr: w.stderr }).toEqual({ status: 'ok', violation: null, stderr: '' });
    const { results, done } = parseChecks(w.stdout);
    expect(done).toBe(true);
    expect(Object.fromEntries(results)).toEqual({ 'socket-inet': 'EACCES', 'socket-unix': 'ok got=u' });
    expect(w.violations).toEqual([]);
  });
});
