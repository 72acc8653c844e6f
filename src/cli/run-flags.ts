// `nsbox run` flags, turned into a Policy plus what the CLI itself does (report file, JSON).
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { FsAccess } from '../landlock/index.js';
import type { SeccompSetting } from '../seccomp/index.js';
import type { Limits, MountSpec, NetworkMode, Policy, ProfileName } from '../policy/types.js';
import { type FlagSpec, flagValue, hasFlag, parseFlags, UsageError } from './flags.js';

export const RUN_FLAGS: readonly FlagSpec[] = [
  { name: 'profile', value: 'NAME', choices: ['default', 'empty', 'judge'], help: "starting point: 'default' (host /usr read-only, /tmp, /proc, /dev), 'empty', or 'judge' (default plus judge limits)" },
  { name: 'ro-bind', value: 'SRC[:DST]', repeatable: true, help: 'bind host path SRC read-only at DST (default: the same path)' },
  { name: 'bind', value: 'SRC[:DST]', repeatable: true, help: 'bind host path SRC read-write at DST' },
  { name: 'tmpfs', value: 'DST[:SIZE]', repeatable: true, help: "mount an empty tmpfs at DST, e.g. /scratch:64M" },
  { name: 'net', value: 'MODE', choices: ['none', 'loopback', 'host'], help: "network: 'none' (default), 'loopback' (own lo, up) or 'host'" },
  { name: 'cwd', value: 'DIR', help: 'working directory inside (default /)' },
  { name: 'env', value: 'K=V', repeatable: true, help: 'set an environment variable (the host environment is not passed)' },
  { name: 'uid', value: 'N', help: 'user id inside (default 1000)' },
  { name: 'gid', value: 'N', help: 'group id inside (default 1000)' },
  { name: 'hostname', value: 'NAME', help: 'hostname inside (default sandbox)' },
  { name: 'memory', value: 'SIZE', help: "memory limit of the whole run, e.g. 256M (cgroup; swap off)" },
  { name: 'pids', value: 'N', help: 'most processes and threads at once' },
  { name: 'cpus', value: 'N', help: 'CPU bandwidth in cores, e.g. 0.5' },
  { name: 'cpu-time', value: 'DURATION', help: "CPU time of the whole run, e.g. 2s or 500ms" },
  { name: 'wall-time', value: 'DURATION', help: 'time from exec before the run is killed, e.g. 5s' },
  { name: 'output', value: 'SIZE', help: 'bytes of stdout+stderr accepted (the output is piped through nsbox)' },
  { name: 'best-effort', help: 'without usable cgroups, fall back to rlimits instead of failing' },
  { name: 'seccomp', value: 'PRESET|FILE', help: "seccomp filter: 'default', 'judge', 'none', or a JSON file with { defaultAction, rules } (docs/seccomp.md)" },
  { name: 'landlock-read', value: 'PATH', repeatable: true, help: 'Landlock: allow reading PATH inside (on top of the rules derived from the mounts)' },
  { name: 'landlock-write', value: 'PATH', repeatable: true, help: 'Landlock: allow reading and writing PATH inside' },
  { name: 'report-file', value: 'PATH', help: 'write the run report as JSON to PATH' },
  { name: 'json', help: 'print the run report as JSON to stderr at the end' },
  { name: 'help', short: 'h', help: 'show this help' },
];

/** Where each part of the policy came from on the command line, to word policy errors in flag terms. */
export interface FlagOrigins {
  /** Index in policy.mounts -> the flag as given, e.g. '--bind /srv:/data'. */
  mounts: string[];
}

export interface RunRequest {
  help: boolean;
  policy: Policy;
  command: string;
  args: string[];
  reportFile?: string;
  json: boolean;
  origins: FlagOrigins;
}

export function parseRunArgs(argv: readonly string[]): RunRequest {
  const parsed = parseFlags(argv, RUN_FLAGS, { command: 'nsbox run', stopAtOperand: true });
  const [command, ...args] = parsed.operands;
  const help = hasFlag(parsed, 'help');
  if (!help && command === undefined) {
    throw new UsageError('run', 'no command given', 'write nsbox run [flags] -- COMMAND [ARGS...], e.g. nsbox run -- /bin/echo hi');
  }
  const policy: Policy = {};
  const origins: FlagOrigins = { mounts: [] };
  const mounts: MountSpec[] = [];
  const env: Record<string, string> = {};
  for (const { name, value = '' } of parsed.flags) {
    switch (name) {
      case 'ro-bind':
      case 'bind':
        mounts.push(bindMount(value, name === 'ro-bind'));
        origins.mounts.push(`--${name} ${value}`);
        break;
      case 'tmpfs':
        mounts.push(tmpfsMount(value));
        origins.mounts.push(`--tmpfs ${value}`);
        break;
      case 'env': {
        const [key, assigned] = splitEnv(value);
        env[key] = assigned;
        break;
      }
    }
  }
  if (mounts.length) policy.mounts = mounts;
  if (Object.keys(env).length) policy.env = env;
  const profile = flagValue(parsed, 'profile');
  if (profile !== undefined) policy.profile = profile as ProfileName;
  const net = flagValue(parsed, 'net');
  if (net !== undefined) policy.network = net as NetworkMode;
  const cwd = flagValue(parsed, 'cwd');
  if (cwd !== undefined) policy.cwd = cwd;
  const hostname = flagValue(parsed, 'hostname');
  if (hostname !== undefined) policy.hostname = hostname;
  const uid = flagValue(parsed, 'uid');
  if (uid !== undefined) policy.uid = readId('uid', uid);
  const gid = flagValue(parsed, 'gid');
  if (gid !== undefined) policy.gid = readId('gid', gid);
  const limits = readLimitFlags(parsed);
  if (limits) policy.limits = limits;
  const seccomp = flagValue(parsed, 'seccomp');
  if (seccomp !== undefined) policy.seccomp = readSeccompFlag(seccomp);
  const landlockPaths = parsed.flags
    .filter((f) => f.name === 'landlock-read' || f.name === 'landlock-write')
    .map((f) => ({ path: f.value ?? '', access: (f.name === 'landlock-write' ? ['read', 'write', 'make-file', 'make-dir', 'remove', 'truncate'] : ['read']) as FsAccess[] }));
  if (landlockPaths.length) policy.landlock = { mode: 'required', fromMounts: true, paths: landlockPaths };
  return {
    help,
    policy,
    command: command ?? '',
    args,
    reportFile: flagValue(parsed, 'report-file'),
    json: hasFlag(parsed, 'json'),
    origins,
  };
}

/** A preset name, or a JSON file holding a custom filter. */
function readSeccompFlag(value: string): SeccompSetting {
  if (value === 'default' || value === 'judge' || value === 'none') return value;
  let text: string;
  try {
    text = readFileSync(value, 'utf8');
  } catch (error) {
    throw new UsageError(`--seccomp ${value}`, `cannot read the file (${(error as NodeJS.ErrnoException).code})`, "write --seccomp default|judge|none or the path of a JSON file");
  }
  try {
    return JSON.parse(text) as SeccompSetting;
  } catch {
    throw new UsageError(`--seccomp ${value}`, 'is not valid JSON', 'write { "defaultAction": "allow", "rules": [{ "syscall": "mount", "action": { "errno": "EPERM" } }] }');
  }
}

/** Limit flags pass their text through: the policy validator parses sizes and durations and names the flag in errors. */
function readLimitFlags(parsed: ReturnType<typeof parseFlags>): Limits | undefined {
  const limits: Limits = {};
  const memory = flagValue(parsed, 'memory');
  if (memory !== undefined) limits.memory = memory;
  const pids = flagValue(parsed, 'pids');
  if (pids !== undefined) limits.pids = readNumber('pids', pids);
  const cpus = flagValue(parsed, 'cpus');
  if (cpus !== undefined) limits.cpus = readNumber('cpus', cpus);
  const cpuTime = flagValue(parsed, 'cpu-time');
  if (cpuTime !== undefined) limits.cpuTime = cpuTime;
  const wallTime = flagValue(parsed, 'wall-time');
  if (wallTime !== undefined) limits.wallTime = wallTime;
  const output = flagValue(parsed, 'output');
  if (output !== undefined) limits.output = output;
  if (hasFlag(parsed, 'best-effort')) limits.bestEffort = true;
  return Object.keys(limits).length ? limits : undefined;
}

function readNumber(flag: string, text: string): number {
  const value = Number(text);
  if (text.trim() === '' || !Number.isFinite(value)) throw new UsageError(`--${flag} ${text}`, 'is not a number', `write e.g. --${flag} 2`);
  return value;
}

/** SRC[:DST], split at the first ':'; a relative SRC is taken from the current directory. */
function bindMount(value: string, readOnly: boolean): MountSpec {
  const colon = value.indexOf(':');
  const source = colon < 0 ? value : value.slice(0, colon);
  const target = colon < 0 ? undefined : value.slice(colon + 1);
  const flag = readOnly ? '--ro-bind' : '--bind';
  if (source === '') throw new UsageError(`${flag} ${value}`, 'the source is empty', `write ${flag} /host/path[:/inside/path]`);
  if (target === '') throw new UsageError(`${flag} ${value}`, 'the target after ":" is empty', `write ${flag} ${source}:/inside/path, or leave out ":"`);
  const absoluteSource = resolve(source);
  return { type: 'bind', source: absoluteSource, target: target ?? absoluteSource, readOnly };
}

/** DST[:SIZE], split at the last ':' since sizes never contain one. */
function tmpfsMount(value: string): MountSpec {
  const colon = value.lastIndexOf(':');
  const target = colon < 0 ? value : value.slice(0, colon);
  const size = colon < 0 ? undefined : value.slice(colon + 1);
  if (target === '') throw new UsageError(`--tmpfs ${value}`, 'the target is empty', 'write --tmpfs /scratch or --tmpfs /scratch:64M');
  if (size === '') throw new UsageError(`--tmpfs ${value}`, 'the size after ":" is empty', `write --tmpfs ${target}:64M, or leave out ":"`);
  return size === undefined ? { type: 'tmpfs', target } : { type: 'tmpfs', target, size };
}

function splitEnv(value: string): [string, string] {
  const eq = value.indexOf('=');
  if (eq <= 0) throw new UsageError(`--env ${value}`, 'is not NAME=VALUE', `write --env ${value.replace(/=.*$/, '') || 'NAME'}=VALUE`);
  return [value.slice(0, eq), value.slice(eq + 1)];
}

function readId(name: string, value: string): number {
  if (!/^\d+$/.test(value)) throw new UsageError(`--${name} ${value}`, 'is not a number', `write a numeric id, e.g. --${name} 1000`);
  return Number(value);
}
