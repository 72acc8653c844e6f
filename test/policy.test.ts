import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { describeValue, PolicyError } from '../src/errors.js';
import { CAPABILITY_NAMES, CAPABILITY_NUMBERS, capabilityMask } from '../src/policy/capabilities.js';
import { DEFAULT_ETC, EXCLUDED_ETC, profileDefaults, type HostFs } from '../src/policy/profiles.js';
import { parseRlimit, parseSize, RLIM_INFINITY } from '../src/policy/size.js';
import type { MountSpec, ResolvedPolicy } from '../src/policy/types.js';
import { resolvePolicy, type HostFacts } from '../src/policy/validate.js';

const MiB = 1024 * 1024;
const rootless: HostFacts = { isRoot: false, env: { TERM: 'xterm', TZ: 'Europe/Berlin', LANG: 'de_DE.UTF-8' } };
const asRoot: HostFacts = { isRoot: true, env: {} };

function resolve(input: unknown, host: HostFacts = rootless): ResolvedPolicy {
  return resolvePolicy(input, host);
}

function mountAt(policy: ResolvedPolicy, target: string): MountSpec | undefined {
  return policy.mounts.find((mount) => mount.target === target);
}

/** Resolved binds always carry a target; the MountSpec type still allows leaving it out. */
function targetOf(mount: MountSpec): string {
  return mount.target ?? (mount.type === 'bind' ? mount.source : '');
}

function fileText(policy: ResolvedPolicy, target: string): string {
  const mount = mountAt(policy, target);
  if (mount?.type !== 'file') throw new Error(`no generated file at ${target}`);
  return String(mount.content);
}

function isHostSymlink(hostPath: string): boolean {
  try {
    return fs.lstatSync(hostPath).isSymbolicLink();
  } catch {
    return false;
  }
}

function catchPolicyError(run: () => unknown): PolicyError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(PolicyError);
    return error as PolicyError;
  }
  throw new Error('expected a PolicyError, but nothing was thrown');
}

describe('parseSize', () => {
  it.each([
    [100, 100],
    ['100', 100],
    ['0', 0],
    ['10B', 10],
    ['512K', 512 * 1024],
    ['512k', 512 * 1024],
    ['64M', 64 * MiB],
    ['64mb', 64 * MiB],
    ['64MiB', 64 * MiB],
    ['64 M', 64 * MiB],
    [' 2k ', 2048],
    ['1.5G', 1.5 * 1024 * MiB],
    ['1T', 1024 * 1024 * MiB],
    ['0.1K', 102],
  ])('reads %j as %d bytes', (input, bytes) => {
    expect(parseSize('policy.rootSize', input)).toBe(bytes);
  });

  it.each([[''], ['M'], ['-1'], ['1.5'], ['64X'], ['1e6'], ['64MBB'], ['99999999999T'], [-5], [1.5], [NaN], [Infinity], [null], [{}]])(
    'rejects %j',
    (input) => {
      const error = catchPolicyError(() => parseSize('policy.mounts[0].size', input as never));
      expect(error.field).toBe('policy.mounts[0].size');
      expect(error.message).toContain(describeValue(input));
      expect(error.fix).toMatch(/'64M'|'1T'|'1.5K'|K/);
    },
  );
});

describe('parseRlimit', () => {
  it.each([
    [1024, 1024n, 1024n],
    ['64M', 64n * 1024n * 1024n, 64n * 1024n * 1024n],
    ['unlimited', RLIM_INFINITY, RLIM_INFINITY],
    ['Unlimited', RLIM_INFINITY, RLIM_INFINITY],
    [Infinity, RLIM_INFINITY, RLIM_INFINITY],
    [{ soft: 1, hard: 'unlimited' }, 1n, RLIM_INFINITY],
    [{ soft: '1K', hard: 2048 }, 1024n, 2048n],
    [{ soft: 7, hard: 7 }, 7n, 7n],
  ])('reads %j', (input, soft, hard) => {
    expect(parseRlimit('policy.rlimits.nofile', input)).toEqual({ soft, hard });
  });

  it.each([
    [{ soft: 2, hard: 1 }, 'policy.rlimits.nofile'],
    [{ soft: 'unlimited', hard: 10 }, 'policy.rlimits.nofile'],
    [{ soft: 1 }, 'policy.rlimits.nofile.hard'],
    [{ soft: 1, hard: 2, max: 3 }, 'policy.rlimits.nofile.max'],
    [{ soft: 'x', hard: 2 }, 'policy.rlimits.nofile.soft'],
    [-1, 'policy.rlimits.nofile'],
    ['lots', 'policy.rlimits.nofile'],
    [[1, 2], 'policy.rlimits.nofile'],
    [null, 'policy.rlimits.nofile'],
    [true, 'policy.rlimits.nofile'],
  ])('rejects %j', (input, field) => {
    const error = catchPolicyError(() => parseRlimit('policy.rlimits.nofile', input as never));
    expect(error.field).toBe(field);
    expect(error.fix.length).toBeGreaterThan(0);
  });

  it('suggests unlimited for -1', () => {
    expect(catchPolicyError(() => parseRlimit('policy.rlimits.cpu', -1)).fix).toContain("'unlimited'");
  });
});

describe('capabilities', () => {
  it('numbers all 41 capabilities 0..40 in order', () => {
    expect(CAPABILITY_NAMES).toHaveLength(41);
    expect(CAPABILITY_NAMES.map((name) => CAPABILITY_NUMBERS[name])).toEqual([...Array(41).keys()]);
    expect(CAPABILITY_NUMBERS.CAP_CHOWN).toBe(0);
    expect(CAPABILITY_NUMBERS.CAP_NET_BIND_SERVICE).toBe(10);
    expect(CAPABILITY_NUMBERS.CAP_SYS_ADMIN).toBe(21);
    expect(CAPABILITY_NUMBERS.CAP_CHECKPOINT_RESTORE).toBe(40);
  });

  it('builds masks', () => {
    expect(capabilityMask([])).toBe(0n);
    expect(capabilityMask(['CAP_CHOWN', 'CAP_NET_BIND_SERVICE'])).toBe(1n | (1n << 10n));
    expect(capabilityMask(CAPABILITY_NAMES)).toBe((1n << 41n) - 1n);
  });

  it('refuses unknown names, including inherited object keys', () => {
    for (const name of ['CAP_FLY', 'toString']) {
      const error = catchPolicyError(() => capabilityMask(['CAP_CHOWN', name as never]));
      expect(error.field).toBe('policy.capabilities[1]');
    }
  });
});

describe('default profile', () => {
  const policy = resolve({});

  it('has the documented scalar defaults', () => {
    expect(policy).toMatchObject({
      namespaces: { user: true, pid: true, mount: true, net: true, ipc: true, uts: true, cgroup: true },
      network: 'none',
      uid: 1000,
      gid: 1000,
      hostUid: 65534,
      hostGid: 65534,
      hostname: 'sandbox',
      cwd: '/',
      capabilities: [],
      inheritEnv: [],
      rootSize: 16 * MiB,
      rlimits: { core: { soft: 0n, hard: 0n } },
    });
    expect(policy.env).toEqual({ PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', HOME: '/tmp', LANG: 'C.UTF-8' });
  });

  it('starts with /usr and ends with /tmp, /proc and /dev', () => {
    expect(policy.mounts[0]).toEqual({ type: 'bind', source: '/usr', target: '/usr', readOnly: true, optional: false });
    expect(policy.mounts.slice(-3)).toEqual([
      { type: 'tmpfs', target: '/tmp', size: 64 * MiB, mode: 0o1777 },
      { type: 'proc', target: '/proc' },
      { type: 'dev', target: '/dev' },
    ]);
  });

  it.runIf(isHostSymlink('/bin'))('replicates the merged-/usr link /bin -> usr/bin instead of binding it', () => {
    expect(mountAt(policy, '/bin')).toEqual({ type: 'symlink', target: '/bin', linkTo: fs.readlinkSync('/bin') });
    expect(fs.readlinkSync('/bin')).toBe('usr/bin');
  });

  it('mirrors each top-level tree as the host has it (links even when dangling), skipping missing ones', () => {
    for (const tree of ['/bin', '/sbin', '/lib', '/lib32', '/lib64', '/libx32']) {
      const mount = mountAt(policy, tree);
      if (!isHostSymlink(tree) && !fs.existsSync(tree)) expect(mount).toBeUndefined();
      else if (isHostSymlink(tree)) expect(mount).toEqual({ type: 'symlink', target: tree, linkTo: fs.readlinkSync(tree) });
      else expect(mount).toMatchObject({ type: 'bind', source: tree, readOnly: true });
    }
  });

  it('generates passwd, group, hosts and hostname', () => {
    expect(fileText(policy, '/etc/passwd')).toBe(
      'root:x:0:0:root:/root:/bin/sh\nsandbox:x:1000:1000:sandbox:/tmp:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n',
    );
    expect(fileText(policy, '/etc/group')).toBe('root:x:0:\nsandbox:x:1000:\nnogroup:x:65534:\n');
    expect(fileText(policy, '/etc/hosts')).toBe('127.0.0.1\tlocalhost sandbox\n::1\tlocalhost\n');
    expect(fileText(policy, '/etc/hostname')).toBe('sandbox\n');
  });

  it.runIf(isHostSymlink('/etc/localtime'))('replicates /etc/localtime as a link', () => {
    expect(mountAt(policy, '/etc/localtime')).toEqual({ type: 'symlink', target: '/etc/localtime', linkTo: fs.readlinkSync('/etc/localtime') });
  });

  it.runIf(isHostSymlink('/etc/os-release'))('replicates /etc/os-release as a link', () => {
    expect(mountAt(policy, '/etc/os-release')).toEqual({ type: 'symlink', target: '/etc/os-release', linkTo: fs.readlinkSync('/etc/os-release') });
  });

  it('binds the host /etc directories that exist, including java-* and python3* globs', () => {
    const expectedDirs = ['/etc/ld.so.conf.d', '/etc/alternatives', '/etc/ssl/certs', '/etc/ca-certificates', '/etc/perl']
      .concat(fs.readdirSync('/etc').filter((name) => /^(java-|python3)/.test(name)).map((name) => `/etc/${name}`))
      .filter((dir) => fs.existsSync(dir) && !isHostSymlink(dir) && fs.statSync(dir).isDirectory());
    expect(expectedDirs.length).toBeGreaterThan(0);
    for (const dir of expectedDirs) {
      expect(mountAt(policy, dir)).toEqual({ type: 'bind', source: dir, target: dir, readOnly: true, optional: true });
    }
  });

  it('takes nothing from /etc that is not in DEFAULT_ETC, and nothing from EXCLUDED_ETC', () => {
    const allowed = DEFAULT_ETC.map((item) => new RegExp(`^${item.path.replace(/[.]/g, '\\.').replace('*', '[^/]*')}$`));
    const generated = DEFAULT_ETC.filter((item) => item.origin === 'generated').map((item) => item.path);
    for (const mount of policy.mounts.filter((entry) => targetOf(entry).startsWith('/etc/'))) {
      expect(allowed.some((pattern) => pattern.test(targetOf(mount))), targetOf(mount)).toBe(true);
      const fromHost = mount.type === 'bind' ? mount.source : mount.type === 'symlink' ? targetOf(mount) : undefined;
      if (fromHost === undefined) continue;
      for (const excluded of EXCLUDED_ETC) {
        expect(fromHost === excluded.path || fromHost.startsWith(`${excluded.path}/`), `${fromHost} is excluded`).toBe(false);
      }
      expect(generated).not.toContain(fromHost);
    }
    expect(EXCLUDED_ETC.map((item) => item.path)).toEqual(
      expect.arrayContaining(['/etc/shadow', '/etc/gshadow', '/etc/sudoers', '/etc/ssh', '/etc/ssl/private', '/etc/machine-id', '/etc/passwd', '/etc/group', '/etc/resolv.conf']),
    );
    for (const item of [...DEFAULT_ETC, ...EXCLUDED_ETC]) expect(item.reason.length).toBeGreaterThan(10);
  });

  it('spells every bind out in full', () => {
    for (const mount of policy.mounts.filter((entry) => entry.type === 'bind')) {
      expect(Object.keys(mount).sort()).toEqual(['optional', 'readOnly', 'source', 'target', 'type']);
    }
  });

  it('produces mounts the validator itself accepts', () => {
    const again = resolve({ profile: 'empty', mounts: policy.mounts });
    expect(again.mounts.slice(3)).toEqual(policy.mounts);
  });
});

describe('profileDefaults on other hosts', () => {
  function fakeHost(tree: Record<string, 'dir' | 'file' | { link: string; resolved?: string }>): HostFs {
    return {
      kind: (target) => {
        const entry = tree[target];
        if (entry === undefined) return 'missing';
        return typeof entry === 'string' ? entry : 'symlink';
      },
      readlink: (target) => (tree[target] as { link: string }).link,
      realpath: (target) => {
        const entry = tree[target];
        if (entry === undefined) return undefined;
        return typeof entry === 'string' ? target : entry.resolved;
      },
      list: (dir) => Object.keys(tree).filter((entry) => path.posix.dirname(entry) === dir).map((entry) => path.posix.basename(entry)),
    };
  }

  it('binds real /bin and /lib dirs of a non-merged host and skips missing ones', () => {
    const host = fakeHost({ '/usr': 'dir', '/bin': 'dir', '/lib': 'dir', '/sbin': { link: 'usr/sbin', resolved: '/usr/sbin' } });
    const mounts = profileDefaults('default', 1000, 1000, 'sandbox', host).mounts.filter((mount) => !targetOf(mount).startsWith('/etc'));
    expect(mounts.slice(0, 4)).toEqual([
      { type: 'bind', source: '/usr', target: '/usr', readOnly: true, optional: false },
      { type: 'bind', source: '/bin', target: '/bin', readOnly: true, optional: false },
      { type: 'symlink', target: '/sbin', linkTo: 'usr/sbin' },
      { type: 'bind', source: '/lib', target: '/lib', readOnly: true, optional: false },
    ]);
  });

  it('binds the target of /etc links that leave /usr, drops dangling links, binds plain files', () => {
    const host = fakeHost({
      '/etc/ssl/certs': { link: '/etc/pki/tls/certs', resolved: '/etc/pki/tls/certs' },
      '/etc/localtime': 'file',
      '/etc/os-release': { link: '../usr/lib/os-release' },
      '/etc/mime.types': { link: '../usr/share/mime.types', resolved: '/usr/share/mime.types' },
    });
    const etc = profileDefaults('default', 1000, 1000, 'sandbox', host).mounts.filter((mount) => targetOf(mount).startsWith('/etc') && mount.type !== 'file');
    expect(etc).toEqual([
      { type: 'bind', source: '/etc/localtime', target: '/etc/localtime', readOnly: true, optional: true },
      { type: 'bind', source: '/etc/pki/tls/certs', target: '/etc/ssl/certs', readOnly: true, optional: true },
      { type: 'symlink', target: '/etc/mime.types', linkTo: '../usr/share/mime.types' },
    ]);
  });

  it('globs java-* and python3* directories only, in sorted order', () => {
    const host = fakeHost({
      '/etc/python3.11': 'dir',
      '/etc/java-21-openjdk': 'dir',
      '/etc/python3': 'dir',
      '/etc/javascript': 'dir',
      '/etc/java-notes': 'file',
      '/etc/java-17-openjdk': { link: '/usr/lib/jvm/java-17/conf', resolved: '/usr/lib/jvm/java-17/conf' },
      '/usr/lib/jvm/java-17/conf': 'dir',
    });
    const targets = profileDefaults('default', 1000, 1000, 'sandbox', host).mounts.map(targetOf).filter((target) => /^\/etc\/(java|python)/.test(target));
    expect(targets).toEqual(['/etc/java-17-openjdk', '/etc/java-21-openjdk', '/etc/python3', '/etc/python3.11']);
  });

  it('leaves a sandbox line out of passwd and group when the ids are root', () => {
    const files = profileDefaults('default', 0, 0, 'box', fakeHost({})).mounts.filter((mount) => mount.type === 'file');
    expect(files.map((file) => (file.type === 'file' ? String(file.content) : ''))).toEqual([
      'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n',
      'root:x:0:\nnogroup:x:65534:\n',
      '127.0.0.1\tlocalhost box\n::1\tlocalhost\n',
      'box\n',
    ]);
  });
});

describe('resolvePolicy accepts', () => {
  it('the empty profile with only /tmp, /proc and /dev', () => {
    const policy = resolve({ profile: 'empty' });
    expect(policy.mounts).toEqual([
      { type: 'tmpfs', target: '/tmp', size: 64 * MiB, mode: 0o1777 },
      { type: 'proc', target: '/proc' },
      { type: 'dev', target: '/dev' },
    ]);
    expect(policy.uid).toBe(1000);
    expect(policy.env.HOME).toBe('/tmp');
  });

  it('scalar overrides, reflected in the generated files', () => {
    const policy = resolve({ uid: 2000, gid: 3000, hostname: 'box-1', cwd: '/tmp/work', rootSize: '32M', hostUid: 100000, hostGid: 100000 });
    expect(policy).toMatchObject({ uid: 2000, gid: 3000, hostname: 'box-1', cwd: '/tmp/work', rootSize: 32 * MiB, hostUid: 100000, hostGid: 100000 });
    expect(fileText(policy, '/etc/passwd')).toContain('sandbox:x:2000:3000:sandbox:/tmp:/bin/sh\n');
    expect(fileText(policy, '/etc/group')).toContain('sandbox:x:3000:\n');
    expect(fileText(policy, '/etc/hosts')).toContain('127.0.0.1\tlocalhost box-1\n');
    expect(fileText(policy, '/etc/hostname')).toBe('box-1\n');
  });

  it('user mounts appended after the profile, with defaults spelled out', () => {
    const content = new Uint8Array([1, 2, 3]);
    const policy = resolve({
      mounts: [
        { type: 'bind', source: '/opt/data' },
        { type: 'bind', source: '/srv/www', target: '/www', readOnly: false, optional: true },
        { type: 'tmpfs', target: '/scratch', size: '1.5G' },
        { type: 'tmpfs', target: '/cache' },
        { type: 'dir', target: '/work' },
        { type: 'symlink', target: '/data', linkTo: 'opt/data' },
        { type: 'file', target: '/etc/app.conf', content },
      ],
    });
    const profileCount = resolve({}).mounts.length;
    expect(policy.mounts.slice(profileCount)).toEqual([
      { type: 'bind', source: '/opt/data', target: '/opt/data', readOnly: true, optional: false },
      { type: 'bind', source: '/srv/www', target: '/www', readOnly: false, optional: true },
      { type: 'tmpfs', target: '/scratch', size: 1.5 * 1024 * MiB, mode: 0o1777 },
      { type: 'tmpfs', target: '/cache', mode: 0o1777 },
      { type: 'dir', target: '/work', mode: 0o755 },
      { type: 'symlink', target: '/data', linkTo: 'opt/data' },
      { type: 'file', target: '/etc/app.conf', content: new Uint8Array([1, 2, 3]), mode: 0o644 },
    ]);
    const file = policy.mounts.at(-1);
    expect(file?.type === 'file' && file.content).not.toBe(content);
  });

  it('env: profile, then inherited host values, then explicit env', () => {
    const policy = resolve({ inheritEnv: ['LANG', 'TERM', 'MISSING', 'TERM'], env: { TERM: 'dumb', EDITOR: 'vi' } });
    expect(policy.env).toEqual({
      PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
      HOME: '/tmp',
      LANG: 'de_DE.UTF-8',
      TERM: 'dumb',
      EDITOR: 'vi',
    });
    expect(policy.inheritEnv).toEqual(['LANG', 'TERM', 'MISSING']);
  });

  it('inheritEnv from the real process environment', () => {
    const policy = resolvePolicy({ inheritEnv: ['PATH'] }, { isRoot: false, env: process.env });
    expect(policy.env.PATH).toBe(process.env.PATH);
  });

  it('an env variable named __proto__ as an own property', () => {
    const policy = resolve(JSON.parse('{"env": {"__proto__": "x"}}'));
    expect(Object.hasOwn(policy.env, '__proto__')).toBe(true);
    expect(Object.getPrototypeOf(policy.env)).toBe(Object.prototype);
  });

  it('network modes', () => {
    expect(resolve({ network: 'host' })).toMatchObject({ network: 'host', namespaces: { net: false } });
    expect(resolve({ network: 'host', namespaces: { net: false } }).namespaces.net).toBe(false);
    expect(resolve({ network: 'loopback' })).toMatchObject({ network: 'loopback', namespaces: { net: true } });
    expect(resolve({ network: 'none', namespaces: { net: true } }).namespaces.net).toBe(true);
  });

  it('namespace switches; no mounts without a mount namespace', () => {
    const policy = resolve({ namespaces: { ipc: false, mount: false, cgroup: false }, mounts: [] });
    expect(policy.namespaces).toEqual({ user: true, pid: true, mount: false, net: true, ipc: false, uts: true, cgroup: false });
    expect(policy.mounts).toEqual([]);
  });

  it('no user namespace when the host is root', () => {
    expect(resolve({ namespaces: { user: false } }, asRoot).namespaces.user).toBe(false);
  });

  it('capabilities and rlimits merged over the profile', () => {
    const policy = resolve({
      capabilities: ['CAP_NET_BIND_SERVICE', 'CAP_CHOWN'],
      rlimits: { nofile: 1024, fsize: '64M', cpu: 'unlimited', stack: { soft: '8M', hard: 'unlimited' } },
    });
    expect(policy.capabilities).toEqual(['CAP_NET_BIND_SERVICE', 'CAP_CHOWN']);
    expect(policy.rlimits).toEqual({
      core: { soft: 0n, hard: 0n },
      nofile: { soft: 1024n, hard: 1024n },
      fsize: { soft: 64n * 1024n * 1024n, hard: 64n * 1024n * 1024n },
      cpu: { soft: RLIM_INFINITY, hard: RLIM_INFINITY },
      stack: { soft: 8n * 1024n * 1024n, hard: RLIM_INFINITY },
    });
    expect(resolve({ rlimits: { core: 'unlimited' } }).rlimits.core).toEqual({ soft: RLIM_INFINITY, hard: RLIM_INFINITY });
  });

  it('undefined fields as left out, and boundary values', () => {
    const policy = resolve({ cwd: undefined, uid: 0, gid: 65534, hostname: 'a'.repeat(64), rootSize: '1G', mounts: undefined });
    expect(policy).toMatchObject({ cwd: '/', uid: 0, gid: 65534, rootSize: 1024 * MiB });
    expect(resolve({ rootSize: MiB, hostUid: 4294967294, hostname: '.x' })).toMatchObject({ rootSize: MiB, hostUid: 4294967294 });
  });

  it('frozen input, left unchanged', () => {
    const input = { mounts: [{ type: 'bind', source: '/opt' }], env: { A: '1' }, rlimits: { nofile: { soft: 1, hard: 2 } } };
    const snapshot = structuredClone(input);
    deepFreeze(input);
    resolve(input);
    expect(input).toEqual(snapshot);
  });
});

function deepFreeze(value: unknown): void {
  if (value === null || typeof value !== 'object') return;
  Object.values(value).forEach(deepFreeze);
  Object.freeze(value);
}

describe('resolvePolicy rejects', () => {
  const longPath = `/${'a'.repeat(5000)}`;
  const bigFile = 'x'.repeat(MiB + 1);
  type Case = [name: string, input: unknown, field: string, fixContains?: string, host?: HostFacts];
  const cases: Case[] = [
    ['null', null, 'policy'],
    ['an array', [], 'policy'],
    ['a string', 'default', 'policy'],
    ['a class instance', new Map(), 'policy'],
    ['a misspelt field', { mount: [] }, 'policy.mount', "did you mean 'mounts'"],
    ['a wrongly cased field', { CWD: '/' }, 'policy.CWD', "did you mean 'cwd'"],
    ['a far-off field', { zzzzzzzzzz: 1 }, 'policy.zzzzzzzzzz', 'remove it'],
    ['an unknown profile', { profile: 'defualt' }, 'policy.profile', "did you mean 'default'"],
    ['namespaces not an object', { namespaces: ['net'] }, 'policy.namespaces'],
    ['an unknown namespace', { namespaces: { network: false } }, 'policy.namespaces.network', "did you mean 'net'"],
    ['a non-boolean namespace', { namespaces: { pid: 'no' } }, 'policy.namespaces.pid', 'true or false'],
    ['no user namespace when rootless', { namespaces: { user: false } }, 'policy.namespaces.user', 'root'],
    ['net off with the default network', { namespaces: { net: false } }, 'policy.namespaces.net', "network: 'host'"],
    ['net off with loopback', { namespaces: { net: false }, network: 'loopback' }, 'policy.namespaces.net', "network: 'host'"],
    ['net on with host network', { namespaces: { net: true }, network: 'host' }, 'policy.namespaces.net', 'remove namespaces.net'],
    ['an unknown network', { network: 'lo' }, 'policy.network'],
    ['a misspelt network', { network: 'loopbak' }, 'policy.network', "did you mean 'loopback'"],
    ['mounts not an array', { mounts: { type: 'bind' } }, 'policy.mounts'],
    ['a mount that is not an object', { mounts: ['/opt'] }, 'policy.mounts[0]'],
    ['a hole in mounts', { mounts: [, { type: 'proc', target: '/proc2' }] }, 'policy.mounts[0]'],
    ['a mount without a type', { mounts: [{ source: '/x' }] }, 'policy.mounts[0].type'],
    ['a misspelt mount type', { mounts: [{ type: 'bnd', source: '/x' }] }, 'policy.mounts[0].type', "did you mean 'bind'"],
    ['a misspelt mount field', { mounts: [{ type: 'bind', source: '/x', tagret: '/y' }] }, 'policy.mounts[0].tagret', "did you mean 'target'"],
    ['a field of another mount type', { mounts: [{ type: 'proc', target: '/p', size: '1M' }] }, 'policy.mounts[0].size'],
    [
      'a relative target in the third mount',
      { mounts: [{ type: 'proc', target: '/p' }, { type: 'dev', target: '/d' }, { type: 'tmpfs', target: 'tmp' }] },
      'policy.mounts[2].target',
      '"/tmp"',
    ],
    ['a target with ..', { mounts: [{ type: 'dir', target: '/a/../b' }] }, 'policy.mounts[0].target', '"/b"'],
    ['a target with .', { mounts: [{ type: 'dir', target: '/./a' }] }, 'policy.mounts[0].target', '"/a"'],
    ['a target with //', { mounts: [{ type: 'dir', target: '/a//b' }] }, 'policy.mounts[0].target', '"/a/b"'],
    ['a target with a trailing /', { mounts: [{ type: 'dir', target: '/a/' }] }, 'policy.mounts[0].target', '"/a"'],
    ['the root as target', { mounts: [{ type: 'tmpfs', target: '/' }] }, 'policy.mounts[0].target', '/mnt/data'],
    ['a NUL in a target', { mounts: [{ type: 'dir', target: '/a\0b' }] }, 'policy.mounts[0].target'],
    ['a too long target', { mounts: [{ type: 'dir', target: longPath }] }, 'policy.mounts[0].target'],
    ['a missing target', { mounts: [{ type: 'tmpfs', size: '1M' }] }, 'policy.mounts[0].target', 'add target'],
    ['a numeric target', { mounts: [{ type: 'proc', target: 5 }] }, 'policy.mounts[0].target'],
    ['a relative bind source', { mounts: [{ type: 'bind', source: 'data', target: '/data' }] }, 'policy.mounts[0].source', 'path.resolve'],
    ['a NUL in a bind source', { mounts: [{ type: 'bind', source: '/x\0', target: '/x' }] }, 'policy.mounts[0].source'],
    ['a missing bind source', { mounts: [{ type: 'bind', target: '/x' }] }, 'policy.mounts[0].source', 'add source'],
    ['a root bind without target', { mounts: [{ type: 'bind', source: '/' }] }, 'policy.mounts[0].source', 'give target explicitly'],
    ['an unnormalized bind without target', { mounts: [{ type: 'bind', source: '/opt/' }] }, 'policy.mounts[0].source', '"/opt"'],
    ['a string readOnly', { mounts: [{ type: 'bind', source: '/x', readOnly: 'yes' }] }, 'policy.mounts[0].readOnly'],
    ['a bad tmpfs size', { mounts: [{ type: 'tmpfs', target: '/t', size: '64Q' }] }, 'policy.mounts[0].size', "'64M'"],
    ['a mode above 0o7777', { mounts: [{ type: 'tmpfs', target: '/t', mode: 0o10000 }] }, 'policy.mounts[0].mode', '0o755'],
    ['a negative mode', { mounts: [{ type: 'dir', target: '/t', mode: -1 }] }, 'policy.mounts[0].mode'],
    ['a string mode', { mounts: [{ type: 'dir', target: '/t', mode: '755' }] }, 'policy.mounts[0].mode', '0o755'],
    ['numeric file content', { mounts: [{ type: 'file', target: '/f', content: 42 }] }, 'policy.mounts[0].content'],
    ['file content over 1 MiB', { mounts: [{ type: 'file', target: '/f', content: bigFile }] }, 'policy.mounts[0].content', "type: 'bind'"],
    ['missing file content', { mounts: [{ type: 'file', target: '/f' }] }, 'policy.mounts[0].content', 'add content'],
    ['an empty linkTo', { mounts: [{ type: 'symlink', target: '/l', linkTo: '' }] }, 'policy.mounts[0].linkTo'],
    ['a NUL in linkTo', { mounts: [{ type: 'symlink', target: '/l', linkTo: 'a\0' }] }, 'policy.mounts[0].linkTo'],
    ['mounts without a mount namespace', { namespaces: { mount: false }, mounts: [{ type: 'proc', target: '/proc' }] }, 'policy.mounts', 'remove mounts'],
    ['a negative uid', { uid: -1 }, 'policy.uid', '1000'],
    ['uid 65535', { uid: 65535 }, 'policy.uid'],
    ['a fractional uid', { uid: 1.5 }, 'policy.uid'],
    ['a string uid', { uid: '1000' }, 'policy.uid'],
    ['a too large gid', { gid: 70000 }, 'policy.gid'],
    ['host uid 0', { hostUid: 0 }, 'policy.hostUid', '65534', asRoot],
    ['host gid 0', { hostGid: 0 }, 'policy.hostGid', '65534'],
    ['host gid (gid_t)-1', { hostGid: 4294967295 }, 'policy.hostGid'],
    ['a hostname starting with -', { hostname: '-bad' }, 'policy.hostname', "'sandbox'"],
    ['an empty hostname', { hostname: '' }, 'policy.hostname'],
    ['a 65-character hostname', { hostname: 'a'.repeat(65) }, 'policy.hostname'],
    ['a hostname with a space', { hostname: 'my box' }, 'policy.hostname'],
    ['a hostname with _', { hostname: 'my_box' }, 'policy.hostname'],
    ['env as a string', { env: 'FOO=1' }, 'policy.env'],
    ['an env name starting with a digit', { env: { '1BAD': 'x' } }, 'policy.env["1BAD"]', 'MY_VAR'],
    ['an env name with =', { env: { 'A=B': 'x' } }, 'policy.env["A=B"]'],
    ['a numeric env value', { env: { FOO: 3 } }, 'policy.env.FOO', '"3"'],
    ['a NUL in an env value', { env: { FOO: 'a\0b' } }, 'policy.env.FOO'],
    ['inheritEnv as a string', { inheritEnv: 'TERM' }, 'policy.inheritEnv', "['TERM', 'TZ']"],
    ['a bad inheritEnv name', { inheritEnv: ['TERM', 'BAD-NAME'] }, 'policy.inheritEnv[1]'],
    ['a relative cwd', { cwd: 'tmp' }, 'policy.cwd', '"/tmp"'],
    ['a cwd with a trailing /', { cwd: '/tmp/' }, 'policy.cwd', '"/tmp"'],
    ['capabilities as a string', { capabilities: 'CAP_CHOWN' }, 'policy.capabilities'],
    ['a misspelt capability', { capabilities: ['CAP_CHOWN', 'CAP_SYS_ADMN'] }, 'policy.capabilities[1]', "did you mean 'CAP_SYS_ADMIN'"],
    ['a capability without prefix', { capabilities: ['net_raw'] }, 'policy.capabilities[0]', "did you mean 'CAP_NET_RAW'"],
    ['a duplicate capability', { capabilities: ['CAP_KILL', 'CAP_KILL'] }, 'policy.capabilities[1]'],
    ['an inherited key as capability', { capabilities: ['constructor'] }, 'policy.capabilities[0]'],
    ['a misspelt rlimit', { rlimits: { nofiles: 10 } }, 'policy.rlimits.nofiles', "did you mean 'nofile'"],
    ['soft above hard', { rlimits: { nofile: { soft: 10, hard: 5 } } }, 'policy.rlimits.nofile'],
    ['a misspelt rlimit pair field', { rlimits: { nofile: { soft: 10, hrad: 20 } } }, 'policy.rlimits.nofile.hrad', "did you mean 'hard'"],
    ['rlimit -1', { rlimits: { cpu: -1 } }, 'policy.rlimits.cpu', "'unlimited'"],
    ['rlimits as an array', { rlimits: [] }, 'policy.rlimits'],
    ['a root size below 1 MiB', { rootSize: '512K' }, 'policy.rootSize', "'16M'"],
    ['a root size above 1 GiB', { rootSize: '2G' }, 'policy.rootSize'],
    ['a root size that is no size', { rootSize: 'big' }, 'policy.rootSize'],
  ];

  it.each(cases)('%s', (_name, input, field, fixContains, host = rootless) => {
    const error = catchPolicyError(() => resolvePolicy(input, host));
    expect(error.field).toBe(field);
    expect(error.code).toBe('EPOLICY');
    expect(error.message).toContain(`${field}: `);
    expect(error.message).toContain(describeValue(error.value));
    expect(error.message).toContain(`Fix: ${error.fix}`);
    expect(error.fix.length).toBeGreaterThan(5);
    if (fixContains) expect(error.fix).toContain(fixContains);
  });

  it('names the bad value in the message', () => {
    expect(catchPolicyError(() => resolve({ uid: -7 })).message).toContain('-7');
    expect(catchPolicyError(() => resolve({ hostname: 'bad host' })).message).toContain('"bad host"');
    expect(catchPolicyError(() => resolve({ mounts: [{ type: 'dir', target: 'rel/dir' }] })).message).toContain('"rel/dir"');
    expect(catchPolicyError(() => resolve({ mount: [] })).message).toContain('"mount"');
  });
});

describe('resolvePolicy on random policies', () => {
  /** mulberry32: a tiny seeded PRNG, so any failure replays. */
  function prng(seed: number): () => number {
    let state = seed >>> 0;
    return () => {
      state = (state + 0x6d2b79f5) >>> 0;
      let t = state;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
  }

  // Valid pieces never conflict with each other, so a policy built only from them must resolve.
  const validMounts: unknown[] = [
    { type: 'bind', source: '/opt' },
    { type: 'bind', source: '/srv', target: '/data', readOnly: false },
    { type: 'tmpfs', target: '/scratch', size: '8M', mode: 0o700 },
    { type: 'proc', target: '/proc' },
    { type: 'dev', target: '/dev' },
    { type: 'dir', target: '/work' },
    { type: 'symlink', target: '/link', linkTo: 'usr/bin' },
    { type: 'file', target: '/etc/motd', content: 'hi\n' },
  ];
  const invalidMounts: unknown[] = [
    { type: 'bind', source: 'rel' },
    { type: 'tmpfs', target: '/a/../b' },
    { type: 'weird', target: '/x' },
    { type: 'dir', target: '/d', mode: 99999 },
    { type: 'file', target: '/f', content: null },
    { type: 'symlink', target: '/l' },
    { type: 'proc', target: '/', extra: 1 },
    'not a mount',
    null,
  ];
  const fields: Record<string, { valid: unknown[]; invalid: unknown[] }> = {
    profile: { valid: ['default', 'empty'], invalid: ['full', 1, null] },
    namespaces: { valid: [{}, { ipc: false }, { uts: false, cgroup: true }, { pid: true }], invalid: [{ net: 'no' }, { nett: true }, { user: false }, [], 'all'] },
    network: { valid: ['none', 'loopback', 'host'], invalid: ['wifi', 3, true] },
    rootSize: { valid: ['1M', '16M', 1048576, '1G', '64MiB'], invalid: ['0', '2G', 'huge', -1, {}] },
    uid: { valid: [0, 1000, 65534], invalid: [-1, 65535, '0', 0.5] },
    gid: { valid: [0, 1000, 65534], invalid: [70000, NaN, null] },
    hostUid: { valid: [1, 65534, 4294967294], invalid: [0, 4294967295, 'root'] },
    hostGid: { valid: [1000, 65534], invalid: [0, -2] },
    hostname: { valid: ['sandbox', 'a.b-c', '9'], invalid: ['', '-x', 'a b', 'x'.repeat(65), 7] },
    env: { valid: [{}, { A: '1' }, { _X: '' }], invalid: [{ '1A': 'x' }, { A: 1 }, { A: 'a\0' }, 'A=1'] },
    inheritEnv: { valid: [[], ['TERM'], ['NOPE', 'LANG']], invalid: [['A-B'], 'TERM', [1]] },
    cwd: { valid: ['/', '/tmp', '/a/b'], invalid: ['tmp', '/tmp/', '/a/./b', ''] },
    capabilities: { valid: [[], ['CAP_CHOWN'], ['CAP_NET_RAW', 'CAP_KILL']], invalid: [['CAP_NOPE'], ['CAP_KILL', 'CAP_KILL'], 'CAP_KILL', [null]] },
    rlimits: {
      valid: [{}, { nofile: 64 }, { cpu: 'unlimited', fsize: '1M' }, { stack: { soft: 1, hard: 2 } }],
      invalid: [{ nofil: 1 }, { nofile: { soft: 3, hard: 2 } }, { as: 'lots' }, { core: -1 }, []],
    },
  };

  function generate(random: () => number): { input: unknown; badFields: string[] } {
    const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)];
    if (random() < 0.03) return { input: pick([null, [], 'policy', 42, new Date(0)]), badFields: ['policy'] };
    const input: Record<string, unknown> = {};
    const badFields: string[] = [];
    for (const [name, pieces] of Object.entries(fields)) {
      if (random() < 0.6) continue;
      const bad = random() < 0.1;
      input[name] = pick(bad ? pieces.invalid : pieces.valid);
      if (bad) badFields.push(`policy.${name}`);
    }
    if (random() < 0.5) {
      const mounts: unknown[] = [];
      const count = Math.floor(random() * 4);
      for (let index = 0; index < count; index++) {
        const bad = random() < 0.1;
        mounts.push(pick(bad ? invalidMounts : validMounts));
        if (bad) badFields.push(`policy.mounts[${index}]`);
      }
      input.mounts = mounts;
    }
    if (random() < 0.05) {
      input.enviroment = {};
      badFields.push('policy.enviroment');
    }
    return { input, badFields };
  }

  it('returns a resolved policy or throws a PolicyError naming a policy field, for 300 seeded policies', () => {
    const random = prng(0x5eed);
    let accepted = 0;
    let rejected = 0;
    for (let round = 0; round < 300; round++) {
      const { input, badFields } = generate(random);
      const context = `round ${round}: ${describeValue(input)}`;
      let result: ResolvedPolicy | undefined;
      try {
        result = resolvePolicy(input, rootless);
      } catch (error) {
        expect(error, context).toBeInstanceOf(PolicyError);
        const { field } = error as PolicyError;
        expect(field.startsWith('policy'), context).toBe(true);
        expect(badFields.length, `${context} rejected at ${field} though built from valid pieces`).toBeGreaterThan(0);
        expect(badFields.some((bad) => field.startsWith(bad)), `${context}: ${field} is not one of ${badFields.join(', ')}`).toBe(true);
        rejected++;
        continue;
      }
      expect(badFields, `${context} was accepted`).toEqual([]);
      expect(Object.keys(result).sort(), context).toEqual(
        ['capabilities', 'cwd', 'env', 'gid', 'hostGid', 'hostUid', 'hostname', 'inheritEnv', 'landlock', 'limits', 'mounts', 'namespaces', 'network', 'rlimits', 'rootSize', 'seccomp', 'uid'],
      );
      for (const mount of result.mounts) expect(targetOf(mount).startsWith('/'), context).toBe(true);
      accepted++;
    }
    // The grammar must exercise both outcomes, or the property says little.
    expect(accepted).toBeGreaterThan(50);
    expect(rejected).toBeGreaterThan(50);
  });
});

describe('capabilities and namespaces that would undo the sandbox', () => {
  it.each(['CAP_SYS_ADMIN', 'CAP_SYS_PTRACE'])('%s cannot be kept', (cap) => {
    const error = catchPolicyError(() => resolve({ capabilities: ['CAP_NET_BIND_SERVICE', cap] }));
    expect(error.field).toBe('policy.capabilities[1]');
    expect(error.message).toContain(cap);
    expect(error.message).toMatch(/cannot be kept/);
  });

  it('without a PID namespace the profile drops /proc, and an explicit proc mount is a conflict', () => {
    const policy = resolve({ namespaces: { pid: false } });
    expect(policy.mounts.some((m) => m.type === 'proc')).toBe(false);
    const error = catchPolicyError(() => resolve({ profile: 'empty', namespaces: { pid: false }, mounts: [{ type: 'proc', target: '/proc2' }] }));
    expect(error.field).toBe('policy.mounts[0]');
    expect(error.message).toMatch(/PID namespace/);
  });
});

describe('limits', () => {
  it('parses sizes, durations and counts into plain units', () => {
    const policy = resolve({ limits: { memory: '64M', swap: '16M', pids: 32, cpus: 0.5, cpuset: '0-1', cpuTime: '1.5s', wallTime: 250, output: '1M', fileSize: '8M', openFiles: 64 } });
    expect(policy.limits).toEqual({ memoryBytes: 64 * MiB, swapBytes: 16 * MiB, pids: 32, cpus: 0.5, cpuset: '0-1', cpuTimeMs: 1500, wallTimeMs: 250, outputBytes: MiB, bestEffort: false });
    expect(policy.rlimits.fsize).toEqual({ soft: BigInt(8 * MiB), hard: BigInt(8 * MiB) });
    expect(policy.rlimits.nofile).toEqual({ soft: 64n, hard: 64n });
  });

  it('the judge profile brings limits, which a policy can override', () => {
    expect(resolve({ profile: 'judge' }).limits).toMatchObject({ memoryBytes: 256 * MiB, pids: 64, cpuTimeMs: 2000, wallTimeMs: 5000 });
    expect(resolve({ profile: 'judge', limits: { cpuTime: '100ms' } }).limits).toMatchObject({ memoryBytes: 256 * MiB, cpuTimeMs: 100 });
  });

  it.each([
    [{ cpuTime: '1 fortnight' }, 'policy.limits.cpuTime', /duration/],
    [{ wallTime: -5 }, 'policy.limits.wallTime', /positive duration/],
    [{ pids: 0 }, 'policy.limits.pids', /whole number/],
    [{ cpus: 0 }, 'policy.limits.cpus', /cores/],
    [{ cpuset: 'all' }, 'policy.limits.cpuset', /CPU list/],
    [{ swap: '1M' }, 'policy.limits.swap', /needs limits.memory/],
    [{ memroy: '1M' }, 'policy.limits.memroy', /did you mean 'memory'/],
    [{ memory: '12K' }, 'policy.limits.memory', /at least/],
  ])('rejects %j at its field', (limits, field, message) => {
    const error = catchPolicyError(() => resolve({ limits }));
    expect(error.field).toBe(field);
    expect(error.message).toMatch(message);
  });
});
