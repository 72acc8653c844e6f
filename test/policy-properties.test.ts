// Property-based tests of the policy validator, with a small seeded generator (no dependency): random policies,
// mostly well formed and some with one field broken. Every accepted policy compiles to a plan and really spawns
// /usr/bin/true; every rejected one throws a PolicyError whose message starts with the field it names.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { type Policy, PolicyError, Sandbox } from '../src/index.js';
import { compilePlan } from '../src/plan/compile.js';

const SEED = Number(process.env.NSBOX_PROPERTY_SEED ?? 20240607);

/** mulberry32: a tiny deterministic PRNG, so a failure is replayed with the same NSBOX_PROPERTY_SEED. */
function rng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (lo: number, hi: number) => lo + Math.floor(next() * (hi - lo + 1));
  const pick = <T>(items: readonly T[]): T => items[int(0, items.length - 1)];
  return { next, int, pick, chance: (p: number) => next() < p };
}
type Rng = ReturnType<typeof rng>;

const bindSource = fs.mkdtempSync(path.join(os.tmpdir(), 'nsbox-prop-'));
fs.chmodSync(bindSource, 0o755);
afterAll(() => fs.rmSync(bindSource, { recursive: true, force: true }));

const EMPTY_PROFILE_RUNTIME: NonNullable<Policy['mounts']> = [
  { type: 'bind', source: '/usr', target: '/usr' },
  { type: 'symlink', target: '/lib', linkTo: 'usr/lib' },
  { type: 'symlink', target: '/lib64', linkTo: 'usr/lib64' },
];

function validMount(r: Rng, i: number): NonNullable<Policy['mounts']>[number] {
  const target = `/opt/m${i}`;
  switch (r.int(0, 4)) {
    case 0: return { type: 'tmpfs', target, ...(r.chance(0.5) ? { size: r.pick(['1M', '4M', 65536, '2.5M']) } : {}), ...(r.chance(0.3) ? { mode: r.pick([0o700, 0o755, 0o1777]) } : {}) };
    case 1: return { type: 'dir', target, ...(r.chance(0.5) ? { mode: 0o750 } : {}) };
    case 2: return { type: 'file', target, content: r.pick(['', 'x\n', 'a=b\n']), ...(r.chance(0.5) ? { mode: 0o600 } : {}) };
    case 3: return { type: 'symlink', target, linkTo: r.pick(['/usr/bin', '../tmp', 'x']) };
    default: return { type: 'bind', source: bindSource, target, readOnly: r.chance(0.7) };
  }
}

function validPolicy(r: Rng): Policy {
  const policy: Policy = {};
  if (r.chance(0.3)) policy.profile = r.pick(['default', 'empty'] as const);
  if (r.chance(0.3)) policy.uid = r.pick([0, 1000, 4242, 65534]);
  if (r.chance(0.3)) policy.gid = r.pick([0, 1000, 100]);
  if (r.chance(0.2)) policy.hostname = r.pick(['box', 'a.b-c', 'x1']);
  if (r.chance(0.3)) policy.env = { A: 'x', ...(r.chance(0.5) ? { LONG_NAME_2: '' } : {}) };
  if (r.chance(0.2)) policy.inheritEnv = ['NSBOX_PROP_UNSET', 'HOME'];
  if (r.chance(0.2)) policy.cwd = r.pick(['/', '/tmp']);
  if (r.chance(0.2)) policy.network = r.pick(['none', 'loopback'] as const);
  if (r.chance(0.2)) policy.rootSize = r.pick(['1M', '8M', 32 << 20]);
  if (r.chance(0.2)) policy.rlimits = { nofile: r.pick([64, 1024, { soft: 64, hard: 128 }]), ...(r.chance(0.5) ? { fsize: '1M' } : {}) };
  if (r.chance(0.2)) policy.capabilities = [r.pick(['CAP_NET_BIND_SERVICE', 'CAP_CHOWN', 'CAP_KILL'] as const)];
  if (r.chance(0.2)) policy.limits = { wallTime: r.pick(['5s', 5000]), ...(r.chance(0.5) ? { output: '1M' } : {}) };
  if (r.chance(0.2)) policy.namespaces = { uts: true, ipc: r.chance(0.5) };
  if (r.chance(0.2)) policy.landlock = false;
  if (r.chance(0.2)) policy.seccomp = r.pick(['default', 'none'] as const);
  if (r.chance(0.5)) policy.mounts = Array.from({ length: r.int(1, 3) }, (_, i) => validMount(r, i));
  // The empty profile shows no /usr: give it what /usr/bin/true needs (a merged-/usr host, as Debian 12).
  if (policy.profile === 'empty') policy.mounts = [...EMPTY_PROFILE_RUNTIME, ...(policy.mounts ?? [])];
  return policy;
}

/** One field broken in a way the validator must catch, and the field its error must name. */
function breakPolicy(r: Rng, policy: Policy): { policy: Record<string, unknown>; field: string } {
  const broken: Record<string, unknown> = { ...policy };
  const cases: (() => string)[] = [
    () => ((broken.uid = r.pick([-1, 1.5, 70000, '1000'])), 'policy.uid'),
    () => ((broken.hostUid = 0), 'policy.hostUid'),
    () => ((broken.hostname = r.pick(['-bad', 'a b', ''])), 'policy.hostname'),
    () => ((broken.network = r.pick(['hots', 'bridge'])), 'policy.network'),
    () => ((broken.env = { '1BAD': 'x' }), 'policy.env["1BAD"]'),
    () => ((broken.cwd = r.pick(['tmp', '/tmp/../x', '/tmp/'])), 'policy.cwd'),
    () => ((broken.rootSize = r.pick(['1K', '2G', 'big'])), 'policy.rootSize'),
    () => ((broken.capabilities = [r.pick(['CAP_SYS_ADMIN', 'CAP_SYS_PTRACE', 'CAP_NOPE'])]), 'policy.capabilities[0]'),
    () => ((broken.rlimits = { nofile: { soft: 10, hard: 5 } }), 'policy.rlimits.nofile'),
    () => ((broken.limits = { wallTime: r.pick([0, '-1s', 'soon']) }), 'policy.limits.wallTime'),
    () => ((broken.mounts = [{ type: 'tmpfs', target: r.pick(['rel', '/', '/a//b']) }]), 'policy.mounts[0].target'),
    () => ((broken.mounts = [{ type: 'tmpfs', target: '/t', size: r.pick([0, '0', 'lots', -5]) }]), 'policy.mounts[0].size'),
    () => ((broken.mounts = [{ type: 'bind', source: 'relative', target: '/t' }]), 'policy.mounts[0].source'),
    () => ((broken.mounts = [{ type: 'tmpf', target: '/t' }]), 'policy.mounts[0].type'),
    () => ((broken.mounts = [{ type: 'dir', target: '/t', mode: '755' }]), 'policy.mounts[0].mode'),
    () => ((broken.profle = 'default'), 'policy.profle'),
  ];
  return { policy: broken, field: r.pick(cases)() };
}

const host = { euid: process.geteuid!(), egid: process.getegid!(), pid: process.pid, privileged: false };

describe(`policy validator properties (seed ${SEED})`, () => {
  const r = rng(SEED);

  it('40 accepted random policies each compile to a plan and spawn /usr/bin/true', async () => {
    for (let i = 0; i < 40; i++) {
      const policy = validPolicy(r);
      const label = JSON.stringify(policy);
      let sandbox: Sandbox;
      try {
        sandbox = new Sandbox(policy);
      } catch (error) {
        throw new Error(`generated policy ${i} was rejected: ${label}: ${(error as Error).message}`);
      }
      expect(compilePlan(sandbox.policy, '/usr/bin/true', [], { ...host, privileged: process.geteuid!() === 0 }).bytes.length, label).toBeGreaterThan(0);
      const result = await sandbox.run('/usr/bin/true');
      expect({ policy: label, status: result.status, stderr: result.stderr }).toEqual({ policy: label, status: 'ok', stderr: '' });
    }
  });

  it('300 policies with one field broken each throw a PolicyError naming that field', () => {
    for (let i = 0; i < 300; i++) {
      const { policy, field } = breakPolicy(r, validPolicy(r));
      let caught: unknown;
      try {
        new Sandbox(policy as Policy);
      } catch (error) {
        caught = error;
      }
      const label = JSON.stringify(policy);
      expect(caught, `accepted: ${label}`).toBeInstanceOf(PolicyError);
      const error = caught as PolicyError;
      expect({ policy: label, field: error.field, startsWithField: error.message.startsWith(`${error.field}: `) }).toEqual({ policy: label, field, startsWithField: true });
    }
  });
});
