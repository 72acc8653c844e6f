// The host side of Landlock: validating `landlock` settings, the kernel's ABI, the rules derived from the mounts,
// masking to older ABIs (best-effort downgrades, required-mode errors), readOnly and ports. No sandbox is spawned;
// one check at the end applies a computed ruleset to a tiny C program on this kernel to show the rights are real.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PolicyError, UnsupportedError } from '../src/errors.js';
import {
  FS,
  NET,
  SCOPE,
  accessNames,
  fsRightsOfAbi,
  landlockAbi,
  landlockAvailability,
  landlockPlan,
  mountRules,
  resolveLandlock,
  type LandlockPlan,
  type ResolvedLandlock,
} from '../src/landlock/index.js';
import { landlockAbi as probeAbi } from '../src/probe/landlock.js';
import { profileDefaults, type HostFs } from '../src/policy/profiles.js';
import type { MountSpec } from '../src/policy/types.js';

const READ = FS.READ_FILE | FS.READ_DIR;
const READ_EXECUTE = READ | FS.EXECUTE;
const MAKE_FILE = FS.MAKE_REG | FS.MAKE_SYM | FS.MAKE_SOCK | FS.MAKE_FIFO;
const REMOVE = FS.REMOVE_DIR | FS.REMOVE_FILE;
/** What read-write binds and tmpfs get on the newest ABI. */
const READ_WRITE = READ | FS.WRITE_FILE | MAKE_FILE | FS.MAKE_DIR | REMOVE | FS.TRUNCATE | FS.REFER;
const PROC = READ | FS.WRITE_FILE;
const DEV = READ | FS.WRITE_FILE | FS.IOCTL_DEV;
const ABI1_FS = (1n << 13n) - 1n;

function resolve(value: unknown): ResolvedLandlock {
  const resolved = resolveLandlock('policy.landlock', value);
  if (!resolved) throw new Error('expected a setting');
  return resolved;
}

/** The rights a path gets from a plan: Landlock ORs the rules on the path and on every directory above it. */
function effective(plan: LandlockPlan, target: string): bigint {
  let rights = 0n;
  for (const rule of plan.paths) {
    if (rule.path === '/' || rule.path === target || target.startsWith(`${rule.path}/`)) rights |= rule.allowed;
  }
  return rights;
}

function policyError(run: () => unknown): PolicyError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(PolicyError);
    return error as PolicyError;
  }
  throw new Error('expected a PolicyError');
}

function unsupportedError(run: () => unknown): UnsupportedError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(UnsupportedError);
    return error as UnsupportedError;
  }
  throw new Error('expected an UnsupportedError');
}

/** A merged-/usr Debian host, so the default profile's mounts do not depend on the machine running the tests. */
const debianHost: HostFs = (() => {
  const dirs = new Set(['/usr', '/etc', '/etc/ld.so.conf.d', '/etc/ssl', '/etc/ssl/certs', '/etc/alternatives', '/etc/python3.11', '/etc/perl']);
  const files = new Set(['/etc/ld.so.cache', '/etc/ld.so.conf', '/etc/nsswitch.conf', '/etc/mime.types']);
  const links: Record<string, string> = {
    '/bin': 'usr/bin',
    '/sbin': 'usr/sbin',
    '/lib': 'usr/lib',
    '/lib64': 'usr/lib64',
    '/etc/localtime': '/usr/share/zoneinfo/Etc/UTC',
    '/etc/os-release': '../usr/lib/os-release',
  };
  const resolved: Record<string, string> = { '/etc/localtime': '/usr/share/zoneinfo/Etc/UTC', '/etc/os-release': '/usr/lib/os-release' };
  return {
    kind: (p) => (p in links ? 'symlink' : dirs.has(p) ? 'dir' : files.has(p) ? 'file' : 'missing'),
    readlink: (p) => links[p],
    realpath: (p) => resolved[p] ?? (dirs.has(p) || files.has(p) ? p : undefined),
    list: (dir) => (dir === '/etc' ? [...dirs, ...files, ...Object.keys(links)].filter((p) => path.posix.dirname(p) === '/etc').map((p) => path.posix.basename(p)) : []),
  };
})();

describe('landlockAbi', () => {
  it('reports the kernel ABI (7 on Linux 6.15 to 6.18), cached', () => {
    const raw = probeAbi();
    const abi = landlockAbi();
    expect(abi).toBe('abi' in raw ? raw.abi : 0);
    if (/^6\.(1[5-8])\./.test(os.release())) expect(abi).toBe(7);
    expect(landlockAbi()).toBe(abi);
    expect(landlockAvailability()).toBe(landlockAvailability());
    if (abi > 0) expect(landlockAvailability().errno).toBeUndefined();
  });

  it('knows which filesystem rights each ABI handles', () => {
    expect(fsRightsOfAbi(0)).toBe(0n);
    expect(fsRightsOfAbi(1)).toBe(0x1fffn);
    expect(fsRightsOfAbi(2)).toBe(0x3fffn);
    expect(fsRightsOfAbi(3)).toBe(0x7fffn);
    expect(fsRightsOfAbi(4)).toBe(0x7fffn);
    expect(fsRightsOfAbi(5)).toBe(0xffffn);
    expect(fsRightsOfAbi(7)).toBe(0xffffn);
  });
});

describe('rules derived from the mounts', () => {
  const setting = resolve({});

  it('the default profile: / read+execute, /tmp read-write, /proc, /dev and its shm; read-only binds add nothing', () => {
    const mounts = profileDefaults('default', 1000, 1000, 'sandbox', debianHost).mounts;
    expect(mounts.some((m) => m.type === 'bind' && m.target === '/usr')).toBe(true);
    const plan = landlockPlan(setting, mounts, 7);
    expect(plan).toEqual({
      fs: 0xffffn,
      net: 0n,
      scoped: 0n,
      paths: [
        { path: '/', allowed: READ_EXECUTE, optional: false },
        { path: '/tmp', allowed: READ_WRITE, optional: false },
        { path: '/proc', allowed: PROC, optional: false },
        { path: '/dev', allowed: DEV, optional: false },
        { path: '/dev/shm', allowed: READ_WRITE, optional: true },
      ],
      ports: [],
      downgrades: [],
      abi: 7,
    });
    expect(accessNames(READ_WRITE)).toEqual(['read', 'write', 'make-dir', 'remove', 'make-file', 'refer', 'truncate']);
    expect(accessNames(DEV)).toEqual(['read', 'write', 'ioctl-dev']);
    // Before pruning, every read-only bind has its read+execute rule; /etc files are optional like their binds.
    const derived = mountRules(mounts);
    expect(derived.find((rule) => rule.path === '/usr')).toMatchObject({ allowed: READ_EXECUTE, optional: false });
    expect(derived.find((rule) => rule.path === '/etc/ld.so.cache')).toMatchObject({ allowed: READ_EXECUTE, optional: true });
    expect(derived.some((rule) => rule.path === '/bin' || rule.path === '/etc/passwd')).toBe(false); // links and generated files
  });

  it('the default profile on this host gives the same plan, and its own setting adds the scopes', () => {
    const defaults = profileDefaults('default');
    const plan = landlockPlan(setting, defaults.mounts, 7);
    expect(plan.paths.map((rule) => rule.path)).toEqual(['/', '/tmp', '/proc', '/dev', '/dev/shm']);
    const own = (defaults as { landlock?: ResolvedLandlock | null }).landlock;
    if (own) {
      const ownPlan = landlockPlan(own, defaults.mounts, 7);
      expect(ownPlan.scoped).toBe(SCOPE.ABSTRACT_UNIX_SOCKET | SCOPE.SIGNAL);
      expect(ownPlan.paths).toEqual(plan.paths);
    }
  });

  it('read-write binds get the write set, read-only binds and files on the root get nothing beyond /', () => {
    const mounts: MountSpec[] = [
      { type: 'bind', source: '/srv/data', target: '/data', readOnly: false },
      { type: 'bind', source: '/opt/tools' },
      { type: 'bind', source: '/srv/cache', readOnly: false, optional: true },
      { type: 'dir', target: '/work' },
      { type: 'file', target: '/etc/app.conf', content: 'x' },
    ];
    const plan = landlockPlan(setting, mounts, 7);
    expect(plan.paths).toEqual([
      { path: '/', allowed: READ_EXECUTE, optional: false },
      { path: '/data', allowed: READ_WRITE, optional: false },
      { path: '/srv/cache', allowed: READ_WRITE, optional: true },
    ]);
    expect(effective(plan, '/opt/tools/bin/x')).toBe(READ_EXECUTE);
    expect(effective(plan, '/data/sub/file')).toBe(READ_WRITE | FS.EXECUTE);
  });

  it('a later mount on a path replaces the rules for it and for everything below', () => {
    const mounts: MountSpec[] = [
      { type: 'bind', source: '/srv/data', target: '/data/inner', readOnly: false },
      { type: 'tmpfs', target: '/data' },
      { type: 'bind', source: '/srv/ro', target: '/data', readOnly: true },
    ];
    const rules = mountRules(mounts);
    expect(rules.map((rule) => [rule.path, rule.allowed])).toEqual([['/', READ_EXECUTE], ['/data', READ_EXECUTE]]);
    expect(landlockPlan(setting, mounts, 7).paths.map((rule) => rule.path)).toEqual(['/']);
  });

  it('explicit rules add to the derived ones; fromMounts: false keeps only them', () => {
    const mounts = profileDefaults('empty').mounts;
    const plan = landlockPlan(resolve({ paths: [{ path: '/tmp', access: ['execute'] }, { path: '/opt/x', access: ['read'], optional: true }] }), mounts, 7);
    expect(plan.paths.find((rule) => rule.path === '/tmp')).toEqual({ path: '/tmp', allowed: READ_WRITE | FS.EXECUTE, optional: false });
    // Explicit rules are kept even when '/' already grants them: they also check that the path exists.
    expect(plan.paths.find((rule) => rule.path === '/opt/x')).toEqual({ path: '/opt/x', allowed: READ, optional: true });
    const only = landlockPlan(resolve({ fromMounts: false, paths: [{ path: '/tmp/x', access: ['read'] }] }), mounts, 7);
    expect(only.paths).toEqual([{ path: '/tmp/x', allowed: READ, optional: false }]);
    expect(only.fs).toBe(0xffffn);
  });
});

describe('readOnly', () => {
  const mounts: MountSpec[] = [
    { type: 'bind', source: '/srv/data', target: '/data', readOnly: false },
    { type: 'bind', source: '/srv/secret', target: '/data/secret', readOnly: false },
    { type: 'bind', source: '/srv/out', target: '/out', readOnly: false },
    { type: 'tmpfs', target: '/tmp' },
  ];

  it('drops the write rights of the derived rule for that path, and only for it', () => {
    const before = landlockPlan(resolve({}), mounts, 7);
    expect(effective(before, '/data/f')).toBe(READ_WRITE | FS.EXECUTE);
    const plan = landlockPlan(resolve({ readOnly: ['/data', '/tmp'] }), mounts, 7);
    expect(effective(plan, '/data/f')).toBe(READ_EXECUTE);
    expect(effective(plan, '/tmp/f')).toBe(READ_EXECUTE);
    expect(effective(plan, '/out/f')).toBe(READ_WRITE | FS.EXECUTE);
    expect(plan.paths.map((rule) => rule.path)).toEqual(['/', '/data/secret', '/out']);
  });

  it('keeps ioctl-dev on /dev while taking its write right', () => {
    const plan = landlockPlan(resolve({ readOnly: ['/dev'] }), profileDefaults('empty').mounts, 7);
    expect(plan.paths.find((rule) => rule.path === '/dev')?.allowed).toBe(READ | FS.IOCTL_DEV);
  });

  it('refuses a path below a writable mount, a path that is no mount target, and fromMounts: false', () => {
    const below = policyError(() => landlockPlan(resolve({ readOnly: ['/data/secret'] }), mounts, 7));
    expect(below.field).toBe('policy.landlock.readOnly[0]');
    expect(below.message).toMatch(/below \/data .*rights add up/);
    // Listing the parent too makes it work, in any order.
    expect(effective(landlockPlan(resolve({ readOnly: ['/data/secret', '/data'] }), mounts, 7), '/data/secret/f')).toBe(READ_EXECUTE);
    const typo = policyError(() => landlockPlan(resolve({ readOnly: ['/dta'] }), mounts, 7));
    expect(typo.fix).toBe("did you mean '/data'?");
    const noMounts = policyError(() => resolve({ fromMounts: false, readOnly: ['/data'] }));
    expect(noMounts.field).toBe('policy.landlock.readOnly');
  });
});

describe('masking to older ABIs', () => {
  const mounts = profileDefaults('empty').mounts; // /tmp, /proc, /dev
  const everything = {
    mode: 'best-effort',
    net: { bind: [8080], connect: [443] },
    scope: { abstractUnix: true, signals: true },
    paths: [{ path: '/srv', access: ['read', 'truncate', 'refer', 'ioctl-dev'] }],
  };
  const REFER = 'landlock: moving or hard-linking files into another directory always fails with EXDEV (kernel ABI 1 < 2)';
  const lines = (abi: number) => ({
    truncate: `landlock: truncate not enforced (kernel ABI ${abi} < 3)`,
    ioctl: `landlock: device ioctl not enforced (kernel ABI ${abi} < 5)`,
    net: `landlock: TCP bind/connect not restricted (kernel ABI ${abi} < 4)`,
    unix: `landlock: abstract unix sockets outside the sandbox not blocked (kernel ABI ${abi} < 6)`,
    signals: `landlock: signals to processes outside the sandbox not blocked (kernel ABI ${abi} < 6)`,
  });

  it('ABI 1: the first 13 rights only; no refer, truncate, ioctl, ports or scopes', () => {
    const plan = landlockPlan(resolve(everything), mounts, 1);
    const l = lines(1);
    expect(plan.fs).toBe(ABI1_FS);
    expect(plan.net).toBe(0n);
    expect(plan.scoped).toBe(0n);
    expect(plan.ports).toEqual([]);
    for (const rule of plan.paths) expect(rule.allowed & ~ABI1_FS).toBe(0n);
    expect(plan.paths.find((rule) => rule.path === '/tmp')?.allowed).toBe(READ_WRITE & ABI1_FS);
    expect(plan.paths.find((rule) => rule.path === '/dev')?.allowed).toBe(READ | FS.WRITE_FILE);
    expect(plan.paths.find((rule) => rule.path === '/srv')?.allowed).toBe(READ);
    expect(plan.downgrades).toEqual([REFER, l.truncate, l.ioctl, l.net, l.unix, l.signals]);
  });

  it('ABI 3: refer and truncate, still no ioctl, ports or scopes', () => {
    const plan = landlockPlan(resolve(everything), mounts, 3);
    const l = lines(3);
    expect(plan.fs).toBe(0x7fffn);
    expect(plan.paths.find((rule) => rule.path === '/tmp')?.allowed).toBe(READ_WRITE);
    expect(plan.paths.find((rule) => rule.path === '/srv')?.allowed).toBe(READ | FS.TRUNCATE | FS.REFER);
    expect(plan.net).toBe(0n);
    expect(plan.downgrades).toEqual([l.ioctl, l.net, l.unix, l.signals]);
  });

  it('ABI 4: TCP ports', () => {
    const plan = landlockPlan(resolve(everything), mounts, 4);
    const l = lines(4);
    expect(plan.net).toBe(NET.BIND_TCP | NET.CONNECT_TCP);
    expect(plan.ports).toEqual([{ allowed: NET.CONNECT_TCP, port: 443 }, { allowed: NET.BIND_TCP, port: 8080 }]);
    expect(plan.scoped).toBe(0n);
    expect(plan.downgrades).toEqual([l.ioctl, l.unix, l.signals]);
  });

  it('ABI 6: everything, no downgrades', () => {
    const plan = landlockPlan(resolve(everything), mounts, 6);
    expect(plan.fs).toBe(0xffffn);
    expect(plan.scoped).toBe(SCOPE.ABSTRACT_UNIX_SOCKET | SCOPE.SIGNAL);
    expect(plan.paths.find((rule) => rule.path === '/dev')?.allowed).toBe(DEV);
    expect(plan.downgrades).toEqual([]);
  });

  it('best-effort without Landlock: no records, one downgrade', () => {
    const plan = landlockPlan(resolve(everything), mounts, 0);
    expect(plan).toMatchObject({ abi: 0, fs: 0n, net: 0n, scoped: 0n, paths: [], ports: [] });
    expect(plan.downgrades).toEqual([expect.stringMatching(/^landlock: not enforced at all: /)]);
  });
});

describe('required mode', () => {
  const mounts = profileDefaults('empty').mounts;

  it('fails on a kernel without Landlock', () => {
    const error = unsupportedError(() => landlockPlan(resolve({}), mounts, 0));
    expect(error.code).toBe('EUNSUPPORTED');
    expect(error.errno).toBe('ENOSYS');
    expect(error.hint).toMatch(/mode: 'best-effort'/);
  });

  it('names each feature the kernel lacks, with the ABI and kernel that bring it', () => {
    const net = unsupportedError(() => landlockPlan(resolve({ net: { connect: [443] } }), mounts, 3));
    expect(net.message).toMatch(/Landlock ABI is 3, which lacks TCP port rules \(ABI 4, Linux 6\.7\)/);
    expect(net.hint).toMatch(/policy\.landlock\.net/);
    const scope = unsupportedError(() => landlockPlan(resolve({ scope: { signals: true } }), mounts, 5));
    expect(scope.message).toMatch(/signal scoping \(ABI 6, Linux 6\.12\)/);
    const truncate = unsupportedError(() => landlockPlan(resolve({ paths: [{ path: '/srv', access: ['truncate'] }] }), mounts, 2));
    expect(truncate.message).toMatch(/the 'truncate' right \(ABI 3, Linux 6\.2\)/);
    expect(truncate.hint).toMatch(/Linux 6\.2 or newer/);
  });

  it('runs with the derived rules on an old ABI, listing what is not enforced', () => {
    const plan = landlockPlan(resolve({}), mounts, 2);
    expect(plan.fs).toBe(0x3fffn);
    expect(plan.downgrades).toEqual(['landlock: truncate not enforced (kernel ABI 2 < 3)', 'landlock: device ioctl not enforced (kernel ABI 2 < 5)']);
  });
});

describe('validation', () => {
  it('null for undefined and false; defaults for {}', () => {
    expect(resolveLandlock('policy.landlock', undefined)).toBeNull();
    expect(resolveLandlock('policy.landlock', false)).toBeNull();
    expect(resolve({})).toEqual({
      field: 'policy.landlock',
      mode: 'required',
      fromMounts: true,
      paths: [],
      readOnly: [],
      net: null,
      scope: { abstractUnix: false, signals: false },
    });
  });

  it('suggests the closest access name', () => {
    const error = policyError(() => resolve({ paths: [{ path: '/data', access: ['read', 'wrte'] }] }));
    expect(error.field).toBe('policy.landlock.paths[0].access[1]');
    expect(error.value).toBe('wrte');
    expect(error.fix).toMatch(/^did you mean 'write'\?/);
    expect(policyError(() => resolve({ paths: [{ path: '/d', access: ['exec'] }] })).fix).toMatch(/did you mean 'execute'/);
    expect(policyError(() => resolve({ paths: [{ path: '/d', access: 'read' }] })).fix).toBe("write access: ['read']");
    expect(policyError(() => resolve({ paths: [{ path: '/d', access: [] }] })).message).toMatch(/grants nothing/);
  });

  it('suggests the closest key and mode', () => {
    expect(policyError(() => resolve({ readonly: ['/data'] }))).toMatchObject({ field: 'policy.landlock.readonly', fix: expect.stringMatching(/did you mean 'readOnly'/) });
    expect(policyError(() => resolve({ fromMount: false })).fix).toMatch(/did you mean 'fromMounts'/);
    expect(policyError(() => resolve({ mode: 'best_effort' }))).toMatchObject({ field: 'policy.landlock.mode', fix: "did you mean 'best-effort'?" });
    expect(policyError(() => resolve({ scope: { signal: true } })).fix).toMatch(/did you mean 'signals'/);
    expect(policyError(() => resolve({ net: { conect: [1] } })).fix).toMatch(/did you mean 'connect'/);
    expect(policyError(() => resolve({ paths: [{ path: '/d', acess: ['read'] }] })).field).toBe('policy.landlock.paths[0].acess');
  });

  it('checks paths and types', () => {
    expect(policyError(() => resolve({ paths: [{ path: 'data', access: ['read'] }] })).fix).toBe('write "/data"');
    expect(policyError(() => resolve({ paths: [{ path: '/data/../etc', access: ['read'] }] })).fix).toBe('write "/etc"');
    expect(policyError(() => resolve({ paths: [{ access: ['read'] }] })).field).toBe('policy.landlock.paths[0].path');
    expect(policyError(() => resolve({ readOnly: ['/data/'] })).field).toBe('policy.landlock.readOnly[0]');
    expect(policyError(() => resolve({ fromMounts: 'yes' })).field).toBe('policy.landlock.fromMounts');
    expect(policyError(() => resolveLandlock('policy.landlock', true)).field).toBe('policy.landlock');
    expect(resolve({ paths: [{ path: '/', access: ['write', 'read', 'read'] }] }).paths).toEqual([{ path: '/', access: ['read', 'write'], optional: false }]);
  });

  it('validates ports 1..65535, merges bind and connect per port', () => {
    for (const bad of [0, 65536, -1, 80.5, '80', null]) {
      const error = policyError(() => resolve({ net: { bind: [bad] } }));
      expect(error.field).toBe('policy.landlock.net.bind[0]');
      expect(error.message).toMatch(/integer from 1 to 65535/);
    }
    expect(policyError(() => resolve({ net: { connect: [443, '80'] } })).fix).toBe('write the number 80, not a string');
    expect(policyError(() => resolve({ net: { connect: 443 } })).fix).toBe('write [443]');
    const resolved = resolve({ net: { bind: [65535, 1, 8080, 8080], connect: [8080, 443] } });
    expect(resolved.net).toEqual({ bind: [1, 8080, 65535], connect: [443, 8080] });
    expect(landlockPlan(resolved, [], 7).ports).toEqual([
      { allowed: NET.BIND_TCP, port: 1 },
      { allowed: NET.CONNECT_TCP, port: 443 },
      { allowed: NET.BIND_TCP | NET.CONNECT_TCP, port: 8080 },
      { allowed: NET.BIND_TCP, port: 65535 },
    ]);
    // `net: {}` denies every TCP bind and connect.
    expect(landlockPlan(resolve({ net: {} }), [], 7)).toMatchObject({ net: NET.BIND_TCP | NET.CONNECT_TCP, ports: [] });
    const many = Array.from({ length: 65 }, (_, index) => 1000 + index);
    expect(policyError(() => resolve({ net: { connect: many } })).message).toMatch(/65 distinct ports, more than the 64/);
  });
});

// ---- one real check: the computed ruleset, applied by a tiny C program to itself ----

const APPLY_C = String.raw`
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

struct ruleset_attr { uint64_t fs, net, scoped; };
struct path_beneath { uint64_t allowed; int32_t fd; } __attribute__((packed));

/* apply FS NET SCOPED [PATH ALLOWED]... -- [read|write FILE]... : prints "<op> <file> <errno or 0>" per try. */
int main(int argc, char **argv)
{
	struct ruleset_attr attr = { strtoull(argv[1], 0, 0), strtoull(argv[2], 0, 0), strtoull(argv[3], 0, 0) };
	int ruleset = (int)syscall(444, &attr, sizeof(attr), 0);
	if (ruleset < 0) { perror("landlock_create_ruleset"); return 2; }
	int i = 4;
	for (; i + 1 < argc && strcmp(argv[i], "--"); i += 2) {
		struct path_beneath rule = { strtoull(argv[i + 1], 0, 0), open(argv[i], O_PATH | O_CLOEXEC) };
		if (rule.fd < 0 || syscall(445, ruleset, 1, &rule, 0) < 0) { perror(argv[i]); return 2; }
		close(rule.fd);
	}
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) || syscall(446, ruleset, 0) < 0) { perror("restrict_self"); return 2; }
	for (i++; i + 1 < argc; i += 2) {
		int fd = open(argv[i + 1], strcmp(argv[i], "write") ? O_RDONLY : O_WRONLY | O_APPEND);
		printf("%s %s %d\n", argv[i], argv[i + 1], fd < 0 ? errno : 0);
		if (fd >= 0) close(fd);
	}
	return 0;
}
`;

function which(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '/usr/bin:/bin').split(':')) {
    const candidate = path.join(dir || '.', name);
    if (fs.existsSync(candidate)) return candidate;
  }
  return undefined;
}

describe.skipIf(!which('gcc') || landlockAbi() < 1)('the computed rights on this kernel', () => {
  let dir = '';
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nsbox-landlock-'));
    fs.writeFileSync(path.join(dir, 'apply.c'), APPLY_C);
    const built = spawnSync(which('gcc')!, ['-O2', 'apply.c', '-o', 'apply'], { cwd: dir, encoding: 'utf8' });
    if (built.status !== 0) throw new Error(`gcc failed: ${built.stderr}`);
    fs.mkdirSync(path.join(dir, 'x'));
    fs.mkdirSync(path.join(dir, 'other'));
    fs.writeFileSync(path.join(dir, 'x', 'file'), 'hello\n');
    fs.writeFileSync(path.join(dir, 'other', 'file'), 'hello\n');
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("{ fromMounts: false, paths: [{ path: x, access: ['read'] }] }: x reads, writing it is EACCES, the rest is denied", () => {
    const x = path.join(dir, 'x');
    const plan = landlockPlan(resolve({ fromMounts: false, paths: [{ path: x, access: ['read'] }] }), []);
    expect(plan.paths).toEqual([{ path: x, allowed: READ, optional: false }]);
    const args = [String(plan.fs), String(plan.net), String(plan.scoped), ...plan.paths.flatMap((rule) => [rule.path, String(rule.allowed)]), '--'];
    const tries = ['read', `${x}/file`, 'write', `${x}/file`, 'read', `${dir}/other/file`, 'write', `${dir}/other/file`];
    const run = spawnSync(path.join(dir, 'apply'), [...args, ...tries], { encoding: 'utf8' });
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    const { EACCES } = os.constants.errno;
    expect(run.stdout.trim().split('\n')).toEqual([
      `read ${x}/file 0`,
      `write ${x}/file ${EACCES}`,
      `read ${dir}/other/file ${EACCES}`,
      `write ${dir}/other/file ${EACCES}`,
    ]);
  });
});
