import fs from 'node:fs';
import path from 'node:path';
import { PolicyError } from '../errors.js';
import { resolveLandlock } from '../landlock/index.js';
import { resolveSeccomp, type ResolvedSeccomp } from '../seccomp/index.js';
import type { BindMount, MountSpec, ProfileName, ResolvedPolicy } from './types.js';

export const DEFAULT_UID = 1000;
export const DEFAULT_GID = 1000;
/** Host ids the inside ids map to when the host runs as root: "nobody", which owns nothing. */
export const DEFAULT_HOST_ID = 65534;
export const DEFAULT_HOSTNAME = 'sandbox';
export const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
export const DEFAULT_ROOT_SIZE = 16 * 1024 * 1024;
export const DEFAULT_TMP_SIZE = 64 * 1024 * 1024;
/** The name the generated /etc/passwd and /etc/group give the inside ids. */
export const SANDBOX_USER = 'sandbox';

export interface EtcItem {
  path: string;
  reason: string;
}

/** An /etc item of the default profile: written by nsbox, or taken read-only from the host when it exists. */
export interface DefaultEtcItem extends EtcItem {
  origin: 'generated' | 'host';
}

/** What the default profile puts in /etc, in mount order. `*` entries are matched against the names in the host's /etc. */
export const DEFAULT_ETC: readonly DefaultEtcItem[] = Object.freeze([
  { path: '/etc/passwd', origin: 'generated', reason: 'names root, the sandbox user and nobody, so tools calling getpwuid() work without seeing host accounts' },
  { path: '/etc/group', origin: 'generated', reason: 'names root, the sandbox group and nogroup, without host group memberships' },
  { path: '/etc/hosts', origin: 'generated', reason: 'resolves localhost and the sandbox hostname without revealing host names' },
  { path: '/etc/hostname', origin: 'generated', reason: 'matches the hostname set in the UTS namespace' },
  { path: '/etc/ld.so.cache', origin: 'host', reason: 'the dynamic loader cache: without it libraries outside the default paths are not found' },
  { path: '/etc/ld.so.conf', origin: 'host', reason: 'the library search paths the loader cache was built from' },
  { path: '/etc/ld.so.conf.d', origin: 'host', reason: 'library search path fragments included by ld.so.conf' },
  { path: '/etc/localtime', origin: 'host', reason: 'the time zone; a link into /usr/share/zoneinfo (already visible through /usr), replicated as a link' },
  { path: '/etc/alternatives', origin: 'host', reason: 'Debian alternatives: links such as /usr/bin/java and /usr/bin/editor resolve through it' },
  { path: '/etc/nsswitch.conf', origin: 'host', reason: 'tells glibc to look users, groups and hosts up in the generated files' },
  { path: '/etc/ssl/certs', origin: 'host', reason: 'public CA certificates, so TLS clients can verify servers' },
  { path: '/etc/ca-certificates', origin: 'host', reason: 'CA certificate configuration some TLS stacks read next to /etc/ssl/certs' },
  { path: '/etc/os-release', origin: 'host', reason: 'distribution identification read by runtimes and build tools; a link into /usr on Debian, replicated as a link' },
  { path: '/etc/mime.types', origin: 'host', reason: 'file extension to MIME type table used by language runtimes' },
  { path: '/etc/java-*', origin: 'host', reason: 'JDK configuration (jvm.cfg, security policy) the JVMs under /usr need to start' },
  { path: '/etc/python3*', origin: 'host', reason: 'Python interpreter site configuration read at start' },
  { path: '/etc/perl', origin: 'host', reason: 'Perl site configuration (CPAN defaults)' },
] as const);

/** What the default profile never takes from the host's /etc, and why. */
export const EXCLUDED_ETC: readonly EtcItem[] = Object.freeze([
  { path: '/etc/shadow', reason: 'password hashes of host accounts' },
  { path: '/etc/gshadow', reason: 'group password hashes of the host' },
  { path: '/etc/sudoers', reason: 'reveals who may become root on the host, and sudo cannot work inside anyway' },
  { path: '/etc/sudoers.d', reason: 'same as /etc/sudoers' },
  { path: '/etc/ssh', reason: 'holds the host SSH private keys and server configuration' },
  { path: '/etc/ssl/private', reason: 'TLS private keys of the host' },
  { path: '/etc/machine-id', reason: 'a stable unique host identifier that would let payloads fingerprint the machine' },
  { path: '/etc/passwd', reason: 'the host copy lists host accounts; a generated one replaces it' },
  { path: '/etc/group', reason: 'the host copy lists host groups and their members; a generated one replaces it' },
  { path: '/etc/resolv.conf', reason: 'the default network is none, so it would only reveal host resolvers; bind it yourself with network "host"' },
] as const);

/** Top-level host trees the default profile exposes read-only; merged-/usr hosts have most of them as links into /usr. */
const HOST_TREES = ['/usr', '/bin', '/sbin', '/lib', '/lib32', '/lib64', '/libx32'];

/** The filesystem questions the default profile asks of the host; tests replace them to model other hosts. */
export interface HostFs {
  /** What `path` itself is (links are not followed); 'missing' when it does not exist or cannot be read. */
  kind(path: string): 'missing' | 'symlink' | 'dir' | 'file' | 'other';
  readlink(path: string): string;
  /** The fully resolved path, or undefined for a dangling link. */
  realpath(path: string): string | undefined;
  /** Entry names of a directory; [] when it cannot be read. */
  list(dir: string): string[];
}

export const nodeHostFs: HostFs = {
  kind(target) {
    try {
      const stats = fs.lstatSync(target);
      if (stats.isSymbolicLink()) return 'symlink';
      if (stats.isDirectory()) return 'dir';
      return stats.isFile() ? 'file' : 'other';
    } catch {
      return 'missing';
    }
  },
  readlink: (target) => fs.readlinkSync(target),
  realpath(target) {
    try {
      return fs.realpathSync(target);
    } catch {
      return undefined;
    }
  },
  list(dir) {
    try {
      return fs.readdirSync(dir);
    } catch {
      return [];
    }
  },
};

/**
 * The policy a profile stands for, with the generated /etc files naming `uid`, `gid` and `hostname`.
 * Every field is set (a ResolvedPolicy is a Partial<ResolvedPolicy> with nothing left out).
 */
export function profileDefaults(
  name: ProfileName,
  uid: number = DEFAULT_UID,
  gid: number = DEFAULT_GID,
  hostname: string = DEFAULT_HOSTNAME,
  hostFs: HostFs = nodeHostFs,
): ResolvedPolicy {
  switch (name) {
    case 'default':
      return { ...commonDefaults(uid, gid, hostname), mounts: [...hostTreeMounts(hostFs), ...etcMounts(uid, gid, hostname, hostFs), ...kernelMounts()] };
    case 'empty':
      return { ...commonDefaults(uid, gid, hostname), mounts: kernelMounts() };
    case 'judge':
      // The default view with limits a code judge would set for one submission (docs/limits.md).
      return {
        ...commonDefaults(uid, gid, hostname),
        mounts: [...hostTreeMounts(hostFs), ...etcMounts(uid, gid, hostname, hostFs), ...kernelMounts()],
        limits: { ...JUDGE_LIMITS },
        seccomp: profileSeccomp('judge'),
      };
    default:
      throw new PolicyError('policy.profile', name, 'is not a profile', "write 'default', 'empty' or 'judge'");
  }
}

const SECCOMP_MARK = Symbol('nsbox.profileSeccomp');

/**
 * A placeholder for a profile's filter, settled by settleSeccomp only when the profile's value is
 * kept, so a policy that says seccomp: 'none' never needs libseccomp.
 */
function profileSeccomp(preset: 'default' | 'judge'): ResolvedSeccomp | null {
  return { [SECCOMP_MARK]: preset } as unknown as ResolvedSeccomp;
}

/** The real filter behind a profile's placeholder (see profileSeccomp), or the value as it is. */
export function settleSeccomp(value: ResolvedSeccomp | null): ResolvedSeccomp | null {
  const preset = value && (value as unknown as Record<symbol, 'default' | 'judge' | undefined>)[SECCOMP_MARK];
  return preset ? resolveSeccomp('policy.profile', preset) : value;
}

/** Limits of the `judge` profile: one submission, single-threaded or a few threads. */
export const JUDGE_LIMITS: ResolvedPolicy['limits'] = {
  memoryBytes: 256 * 1024 * 1024,
  pids: 64,
  cpuTimeMs: 2000,
  wallTimeMs: 5000,
  outputBytes: 64 * 1024 * 1024,
  bestEffort: false,
};

function commonDefaults(uid: number, gid: number, hostname: string): Omit<ResolvedPolicy, 'mounts'> {
  return {
    namespaces: { user: true, pid: true, mount: true, net: true, ipc: true, uts: true, cgroup: true },
    rootSize: DEFAULT_ROOT_SIZE,
    uid,
    gid,
    hostUid: DEFAULT_HOST_ID,
    hostGid: DEFAULT_HOST_ID,
    hostname,
    env: { PATH: DEFAULT_PATH, HOME: '/tmp', LANG: 'C.UTF-8' },
    inheritEnv: [],
    cwd: '/',
    capabilities: [],
    // No core dumps: they would land in the payload's cwd and can hold secrets.
    rlimits: { core: { soft: 0n, hard: 0n } },
    network: 'none',
    limits: { bestEffort: false },
    seccomp: profileSeccomp('default'),
    // Defense in depth over the mounts, and (ABI 6+) no abstract unix sockets or signals outside the sandbox.
    landlock: resolveLandlock('profile landlock', { mode: 'best-effort', fromMounts: true, scope: { abstractUnix: true, signals: true } }),
  };
}

/** A scratch /tmp plus the kernel filesystems every profile needs. */
function kernelMounts(): MountSpec[] {
  return [
    { type: 'tmpfs', target: '/tmp', size: DEFAULT_TMP_SIZE, mode: 0o1777 },
    { type: 'proc', target: '/proc' },
    { type: 'dev', target: '/dev' },
  ];
}

function readOnlyBind(source: string, target = source, optional = false): BindMount {
  return { type: 'bind', source, target, readOnly: true, optional };
}

/** /usr and the top-level library and binary dirs; host links such as /bin -> usr/bin stay links. */
function hostTreeMounts(hostFs: HostFs): MountSpec[] {
  const mounts: MountSpec[] = [];
  for (const tree of HOST_TREES) {
    const kind = hostFs.kind(tree);
    if (kind === 'missing') continue;
    mounts.push(kind === 'symlink' ? { type: 'symlink', target: tree, linkTo: hostFs.readlink(tree) } : readOnlyBind(tree));
  }
  return mounts;
}

function etcMounts(uid: number, gid: number, hostname: string, hostFs: HostFs): MountSpec[] {
  const mounts: MountSpec[] = [];
  for (const item of DEFAULT_ETC) {
    if (item.origin === 'generated') {
      mounts.push({ type: 'file', target: item.path, content: generatedEtcFile(item.path, uid, gid, hostname), mode: 0o644 });
    } else {
      for (const hostPath of expandEtcPattern(item.path, hostFs)) {
        const mount = hostEtcMount(hostPath, hostFs);
        if (mount) mounts.push(mount);
      }
    }
  }
  return mounts;
}

function generatedEtcFile(target: string, uid: number, gid: number, hostname: string): string {
  switch (target) {
    case '/etc/passwd':
      return lines([
        'root:x:0:0:root:/root:/bin/sh',
        // Skipped when the inside uid is root's or nobody's, so each uid has one name.
        uid !== 0 && uid !== DEFAULT_HOST_ID ? `${SANDBOX_USER}:x:${uid}:${gid}:${SANDBOX_USER}:/tmp:/bin/sh` : undefined,
        'nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin',
      ]);
    case '/etc/group':
      return lines(['root:x:0:', gid !== 0 && gid !== DEFAULT_HOST_ID ? `${SANDBOX_USER}:x:${gid}:` : undefined, 'nogroup:x:65534:']);
    case '/etc/hosts':
      return lines([`127.0.0.1\tlocalhost ${hostname}`, '::1\tlocalhost']);
    case '/etc/hostname':
      return lines([hostname]);
    default:
      throw new Error(`no generator for ${target}`);
  }
}

function lines(entries: (string | undefined)[]): string {
  return entries.filter((entry) => entry !== undefined).map((entry) => `${entry}\n`).join('');
}

/** '/etc/java-*' becomes the matching directories of the host's /etc, sorted so the mount order is stable. */
function expandEtcPattern(pattern: string, hostFs: HostFs): string[] {
  if (!pattern.endsWith('*')) return [pattern];
  const dir = path.posix.dirname(pattern);
  const prefix = path.posix.basename(pattern).slice(0, -1);
  return hostFs
    .list(dir)
    .filter((name) => name.startsWith(prefix))
    .sort()
    .map((name) => path.posix.join(dir, name))
    .filter((candidate) => isDirectory(candidate, hostFs));
}

function isDirectory(candidate: string, hostFs: HostFs): boolean {
  const kind = hostFs.kind(candidate);
  if (kind !== 'symlink') return kind === 'dir';
  const resolved = hostFs.realpath(candidate);
  return resolved !== undefined && hostFs.kind(resolved) === 'dir';
}

/**
 * A host /etc path as the sandbox sees it. A link into /usr is replicated as a link, since /usr is
 * visible inside; a link elsewhere (e.g. /etc/ssl/certs -> /etc/pki/tls/certs) binds what it points to,
 * as its target would not exist inside. Missing paths and dangling links are left out.
 */
function hostEtcMount(hostPath: string, hostFs: HostFs): MountSpec | undefined {
  const kind = hostFs.kind(hostPath);
  if (kind === 'missing') return undefined;
  if (kind !== 'symlink') return readOnlyBind(hostPath, hostPath, true);
  const resolved = hostFs.realpath(hostPath);
  if (resolved === undefined) return undefined;
  if (resolved.startsWith('/usr/')) return { type: 'symlink', target: hostPath, linkTo: hostFs.readlink(hostPath) };
  return readOnlyBind(resolved, hostPath, true);
}
