// Words an error for the command line: policy fields become the flags they came from.
import { PolicyError, SandboxError, SetupError } from '../errors.js';
import type { FlagOrigins } from './run-flags.js';

const FIELD_FLAGS: Record<string, string> = {
  'policy.profile': '--profile',
  'policy.network': '--net',
  'policy.cwd': '--cwd',
  'policy.uid': '--uid',
  'policy.gid': '--gid',
  'policy.hostname': '--hostname',
  'policy.mounts': '--ro-bind/--bind/--tmpfs',
  'policy.env': '--env',
};

/** '--bind /a:/b (target)' for 'policy.mounts[0].target', '--env X' for 'policy.env.X'; the field itself otherwise. */
export function flagForField(field: string, origins: FlagOrigins): string {
  const mount = /^policy\.mounts\[(\d+)\](?:\.(\w+))?$/.exec(field);
  if (mount) {
    const origin = origins.mounts[Number(mount[1])];
    if (origin) return mount[2] ? `${origin} (${mount[2]})` : origin;
  }
  const env = /^policy\.env(?:\.(\w+)|\[(".*")\])$/.exec(field);
  if (env) return `--env ${env[1] ?? (JSON.parse(env[2]) as string)}`;
  return FIELD_FLAGS[field] ?? field;
}

export function describeError(error: unknown, origins: FlagOrigins = { mounts: [] }): string {
  if (error instanceof PolicyError && error.message.startsWith(error.field)) {
    return `${flagForField(error.field, origins)}${error.message.slice(error.field.length)}`;
  }
  if (error instanceof SandboxError) return error.message;
  // Not one of nsbox's own errors: name the class (e.g. SyscallError) so a bug report says what broke.
  return `internal error: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`;
}

/** The JSON written in place of a run report when the run never happened. */
export function errorRecord(error: unknown, message: string): Record<string, unknown> {
  const record: Record<string, unknown> = {
    name: error instanceof Error ? error.name : 'Error',
    code: error instanceof SandboxError ? error.code : 'EINTERNAL',
    message,
  };
  if (error instanceof PolicyError) Object.assign(record, { field: error.field, fix: error.fix });
  if (error instanceof SetupError) Object.assign(record, { step: error.step, errno: error.errno, ...(error.hint ? { hint: error.hint } : {}) });
  return { error: record };
}
