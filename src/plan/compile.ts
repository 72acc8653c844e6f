// Turns a resolved policy and a command into the plan nsbox-init executes.
// Every decision is made here; the init only carries it out.
import { capabilityMask } from '../policy/capabilities.js';
import type { MountSpec, NamespaceName, ResolvedPolicy } from '../policy/types.js';
import type { Enforced } from '../report.js';
import { landlockPlan, type LandlockPlan } from '../landlock/index.js';
import { compileSeccomp, type ResolvedSeccomp } from '../seccomp/index.js';
import { CloneFlag, CpuFormat, LANDLOCK_OPTIONAL, LimitKind, MountFlag, OomWatch, Op, ROOT_READONLY, Rlimit, SECCOMP_NOTIFY_KILLS } from './protocol.js';
import { type PlanSection, PlanWriter } from './writer.js';

export interface HostIdentity {
  /** Effective ids of the host process; 0 means root, whatever its capabilities. */
  euid: number;
  egid: number;
  pid: number;
  /** The host may mount (CAP_SYS_ADMIN) and map any id: bind sources are opened with its rights. */
  privileged: boolean;
}

export interface ExtraFd {
  /** Descriptor number inside the init (5 and up), as placed by the spawner. */
  from: number;
  /** Descriptor number the payload sees. */
  to: number;
}

/** Descriptors of the run's cgroup as numbered inside the init (see launchInit's extra fds). */
export interface InitCgroupSlots {
  intoFd?: number;
  procsFds: number[];
  cpuUsage?: { fd: number; format: 'cpu.stat' | 'cpuacct.usage' };
  oom?: { fd: number; kind: 'memory.events' | 'eventfd' };
}

export interface CompileExtras {
  extraFds?: readonly ExtraFd[];
  cgroup?: InitCgroupSlots;
  enforcedCgroup?: Enforced['cgroup'];
  downgrades?: string[];
  /** A warm sandbox: PID 1 serves jobs on this socket (as numbered inside the init) instead of running the command. */
  warmFd?: number;
}

export interface CompiledPlan {
  bytes: Buffer;
  /** Words for the plan record at `index`, for setup error messages. */
  describe(index: number): string;
  enforced: Enforced;
}

const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
const DEVICE_NODES = ['null', 'zero', 'full', 'random', 'urandom', 'tty'];
const U64_MAX = 0xffffffffffffffffn;

export function compilePlan(
  policy: ResolvedPolicy,
  command: string,
  args: readonly string[],
  host: HostIdentity,
  extras: CompileExtras = {},
): CompiledPlan {
  const { extraFds = [], cgroup } = extras;
  const plan = new PlanWriter();
  const ns = policy.namespaces;
  const rootless = host.euid !== 0;

  let flags = 0;
  for (const [name, bit] of Object.entries(CloneFlag)) if (ns[name as NamespaceName]) flags |= bit;
  plan.add(Op.NAMESPACES, 0, [{ u32: flags }], 'create namespaces');
  plan.add(Op.HOST_PID, 0, [{ u32: host.pid }], 'tie the sandbox to the host process');
  if (host.privileged) plan.add(Op.PRIVILEGED, 0, []);
  if (host.euid === 0) plan.add(Op.CLEAR_GROUPS, 0, [], 'drop the host\'s supplementary groups');

  // Inside ids map to one host id: the caller's own, or an unprivileged one (never 0) when the host is root.
  const hostUid = host.euid === 0 ? policy.hostUid : host.euid;
  const hostGid = host.egid === 0 ? policy.hostGid : host.egid;
  if (hostUid === 0 || hostGid === 0) throw new TypeError('nsbox: refusing to map the sandbox to host id 0');
  if (ns.user) {
    plan.add(Op.UID_MAP, 0, [{ u32: policy.uid }, { u32: hostUid }, { u32: 1 }], `map uid ${policy.uid} to host uid ${hostUid}`);
    plan.add(Op.GID_MAP, 0, [{ u32: policy.gid }, { u32: hostGid }, { u32: 1 }], `map gid ${policy.gid} to host gid ${hostGid}`);
    plan.add(Op.IDENTITY, 0, [{ u32: policy.uid }, { u32: policy.gid }], `become uid ${policy.uid}`);
  } else {
    plan.add(Op.IDENTITY, 0, [{ u32: hostUid }, { u32: hostGid }], `become host uid ${hostUid}`);
  }
  if (ns.uts) plan.add(Op.HOSTNAME, 0, [{ str: policy.hostname }], `set hostname ${policy.hostname}`);
  if (policy.network === 'loopback') plan.add(Op.LOOPBACK, 0, [], 'bring lo up');

  if (ns.mount) {
    plan.add(Op.ROOTFS, ROOT_READONLY, [{ u64: BigInt(policy.rootSize) }], 'mount the new root (tmpfs)');
    plan.append(mountsSection(policy.mounts));
  }

  for (const [name, value] of Object.entries(policy.rlimits)) {
    if (!value) continue;
    const resource = Rlimit[name as keyof typeof Rlimit];
    plan.add(Op.RLIMIT, 0, [{ u32: resource }, { u64: value.soft }, { u64: value.hard }], `set rlimit ${name}`);
  }
  plan.add(Op.CAPS, 0, [{ u64: capabilityMask(policy.capabilities) }], 'drop capabilities');

  for (const [key, value] of Object.entries(policy.env)) plan.add(Op.ENV, 0, [{ str: `${key}=${value}` }]);
  for (const arg of [command, ...args]) plan.add(Op.ARG, 0, [{ str: arg }]);
  plan.add(Op.EXEC, 0, [{ str: command }, { str: policy.env.PATH ?? DEFAULT_PATH }], `exec ${command}`);
  plan.add(Op.CWD, 0, [{ str: policy.cwd }], `chdir ${policy.cwd}`);
  for (const fd of extraFds) plan.add(Op.FD, 0, [{ u32: fd.from }, { u32: fd.to }], `pass fd ${fd.to}`);
  if (cgroup) addCgroup(plan, cgroup);
  if (extras.warmFd !== undefined) plan.add(Op.WARM, 0, [{ u32: extras.warmFd }], 'serve jobs as a warm sandbox');
  const landlock = policy.landlock ? landlockFor(policy.landlock, ns.mount ? policy.mounts : NO_MOUNTS) : null;
  if (landlock && landlock.abi > 0) addLandlock(plan, landlock);
  if (policy.seccomp) {
    // The listener handshake costs a round trip with PID 1; only filters that kill need it to name the syscall.
    const kills = policy.seccomp.policy.defaultAction === 'kill-process' || policy.seccomp.policy.rules.some((r) => r.action === 'kill-process');
    plan.add(Op.SECCOMP, kills ? SECCOMP_NOTIFY_KILLS : 0, [{ bytes: filterFor(policy.seccomp) }], `install the seccomp filter (${policy.seccomp.name})`);
  }
  const limits = policy.limits;
  if (limits.cpuTimeMs !== undefined && cgroup?.cpuUsage) {
    plan.add(Op.LIMIT, 0, [{ u32: LimitKind.CPU }, { u64: msToNs(limits.cpuTimeMs) }], 'limit CPU time');
  }
  if (limits.wallTimeMs !== undefined) {
    plan.add(Op.LIMIT, 0, [{ u32: LimitKind.WALL }, { u64: msToNs(limits.wallTimeMs) }], 'limit wall time');
  }

  return {
    bytes: plan.finish(),
    describe: (index) => plan.descriptions[index] || `plan record ${index}`,
    enforced: {
      namespaces: { ...ns },
      rootless,
      idMap: ns.user ? { uid: policy.uid, gid: policy.gid, hostUid, hostGid } : null,
      capabilities: [...policy.capabilities],
      noNewPrivs: true,
      readOnlyRoot: ns.mount,
      network: policy.network,
      rlimits: Object.fromEntries(
        Object.entries(policy.rlimits).map(([k, v]) => [k, { soft: limitText(v!.soft), hard: limitText(v!.hard) }]),
      ),
      seccomp: policy.seccomp ? policy.seccomp.name : false,
      landlock: landlock && landlock.abi > 0 ? { abi: landlock.abi, paths: landlock.paths.length, ports: landlock.ports.length, scoped: landlock.scoped !== 0n } : false,
      cgroup: extras.enforcedCgroup ?? false,
      cpuTimeMs: cgroup?.cpuUsage ? (limits.cpuTimeMs ?? null) : null,
      wallTimeMs: limits.wallTimeMs ?? null,
      outputBytes: limits.outputBytes ?? null,
      downgrades: [...(extras.downgrades ?? []), ...(landlock?.downgrades ?? [])],
    },
  };
}

const NO_MOUNTS: readonly MountSpec[] = [];
/** The mount records, encoded once per mount list: every spawn of a Sandbox (or job of a pool) shares it. */
const mountSections = new WeakMap<readonly MountSpec[], PlanSection>();
function mountsSection(mounts: readonly MountSpec[]): PlanSection {
  let section = mountSections.get(mounts);
  if (!section) mountSections.set(mounts, (section = PlanWriter.section((writer) => mounts.forEach((mount) => addMount(writer, mount)))));
  return section;
}
/** The Landlock plan, remembered per resolved setting and mount list: a pool's jobs share both objects. */
const landlockPlans = new WeakMap<object, WeakMap<object, LandlockPlan>>();
function landlockFor(setting: NonNullable<ResolvedPolicy['landlock']>, mounts: readonly MountSpec[]): LandlockPlan {
  let byMounts = landlockPlans.get(setting);
  if (!byMounts) landlockPlans.set(setting, (byMounts = new WeakMap()));
  let plan = byMounts.get(mounts);
  if (!plan) byMounts.set(mounts, (plan = landlockPlan(setting, mounts)));
  return plan;
}

/** The compiled filter, remembered per resolved setting so a run pays neither libseccomp nor a JSON key. */
const filters = new WeakMap<ResolvedSeccomp, Buffer>();
function filterFor(seccomp: ResolvedSeccomp): Buffer {
  let bpf = filters.get(seccomp);
  if (!bpf) {
    bpf = compileSeccomp(seccomp);
    filters.set(seccomp, bpf);
  }
  return bpf;
}

function msToNs(ms: number): bigint {
  return BigInt(Math.round(ms * 1e6));
}

function addLandlock(plan: PlanWriter, landlock: LandlockPlan): void {
  plan.add(Op.LANDLOCK, 0, [{ u64: landlock.fs }, { u64: landlock.net }, { u64: landlock.scoped }], `create the Landlock ruleset (ABI ${landlock.abi})`);
  for (const p of landlock.paths) {
    plan.add(Op.LANDLOCK_PATH, p.optional ? LANDLOCK_OPTIONAL : 0, [{ u64: p.allowed }, { str: p.path }], `add the Landlock rule for ${p.path}`);
  }
  for (const p of landlock.ports) plan.add(Op.LANDLOCK_PORT, 0, [{ u64: p.allowed }, { u64: BigInt(p.port) }], `allow TCP port ${p.port}`);
}

function addCgroup(plan: PlanWriter, cgroup: InitCgroupSlots): void {
  if (cgroup.intoFd !== undefined) plan.add(Op.CGROUP_INTO, 0, [{ u32: cgroup.intoFd }], 'start PID 1 in the run\'s cgroup');
  for (const fd of cgroup.procsFds) plan.add(Op.CGROUP_PROCS, 0, [{ u32: fd }], 'join the run\'s cgroup');
  if (cgroup.cpuUsage) {
    const format = cgroup.cpuUsage.format === 'cpu.stat' ? CpuFormat.CPU_STAT : CpuFormat.CPUACCT_USAGE;
    plan.add(Op.CPU_USAGE, 0, [{ u32: cgroup.cpuUsage.fd }, { u32: format }], 'watch CPU time');
  }
  if (cgroup.oom) {
    const kind = cgroup.oom.kind === 'memory.events' ? OomWatch.MEMORY_EVENTS : OomWatch.EVENTFD;
    plan.add(Op.OOM_WATCH, 0, [{ u32: cgroup.oom.fd }, { u32: kind }], 'watch OOM kills');
  }
}

function limitText(value: bigint): string {
  return value === U64_MAX ? 'unlimited' : value.toString();
}

function addMount(plan: PlanWriter, mount: MountSpec): void {
  switch (mount.type) {
    case 'bind': {
      const target = mount.target ?? mount.source;
      const readOnly = mount.readOnly !== false;
      const flags = (readOnly ? MountFlag.READONLY : 0) | (mount.optional ? MountFlag.OPTIONAL : 0);
      plan.add(Op.BIND, flags, [{ str: mount.source }, { str: target }],
        `mount ${mount.source} -> ${target} (bind, ${readOnly ? 'read-only' : 'read-write'})`);
      return;
    }
    case 'tmpfs':
      plan.add(Op.TMPFS, 0, [{ u64: BigInt(Number(mount.size ?? 0)) }, { u32: mount.mode ?? 0o1777 }, { str: mount.target }],
        `mount tmpfs on ${mount.target}`);
      return;
    case 'proc':
      plan.add(Op.PROC, 0, [{ str: mount.target }], `mount proc on ${mount.target}`);
      return;
    case 'dev':
      addMinimalDev(plan, mount.target);
      return;
    case 'dir':
      plan.add(Op.DIR, 0, [{ u32: mount.mode ?? 0o755 }, { str: mount.target }], `create directory ${mount.target}`);
      return;
    case 'symlink':
      plan.add(Op.SYMLINK, 0, [{ str: mount.target }, { str: mount.linkTo }], `create symlink ${mount.target} -> ${mount.linkTo}`);
      return;
    case 'file': {
      const content = typeof mount.content === 'string' ? Buffer.from(mount.content) : mount.content;
      plan.add(Op.FILE, 0, [{ u32: mount.mode ?? 0o644 }, { u32: content.length }, { str: mount.target }, { bytes: content }],
        `create file ${mount.target}`);
      return;
    }
  }
}

/** A /dev with only harmless devices: binds of the host's nodes, a private devpts, shm, and the fd links. */
function addMinimalDev(plan: PlanWriter, dev: string): void {
  plan.add(Op.TMPFS, MountFlag.NOEXEC | MountFlag.SEAL, [{ u64: 1n << 20n }, { u32: 0o755 }, { str: dev }], `mount tmpfs on ${dev} (read-only once populated)`);
  for (const node of DEVICE_NODES) {
    plan.add(Op.BIND, MountFlag.DEVICES | MountFlag.NOEXEC, [{ str: `/dev/${node}` }, { str: `${dev}/${node}` }],
      `mount /dev/${node} -> ${dev}/${node} (device bind)`);
  }
  plan.add(Op.DEVPTS, 0, [{ str: `${dev}/pts` }], `mount devpts on ${dev}/pts`);
  plan.add(Op.SYMLINK, 0, [{ str: `${dev}/ptmx` }, { str: 'pts/ptmx' }], `create symlink ${dev}/ptmx`);
  plan.add(Op.TMPFS, MountFlag.NOEXEC, [{ u64: 64n << 20n }, { u32: 0o1777 }, { str: `${dev}/shm` }], `mount tmpfs on ${dev}/shm`);
  const links: Array<[string, string]> = [['fd', '/proc/self/fd'], ['stdin', '/proc/self/fd/0'], ['stdout', '/proc/self/fd/1'], ['stderr', '/proc/self/fd/2']];
  for (const [name, to] of links) plan.add(Op.SYMLINK, 0, [{ str: `${dev}/${name}` }, { str: to }], `create symlink ${dev}/${name}`);
}
