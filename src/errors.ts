/** Base class of every error nsbox raises on purpose. */
export class SandboxError extends Error {
  /** A stable machine-readable code, e.g. 'ESETUP', 'ENOTFOUND', 'EPOLICY'. */
  readonly code: string;
  constructor(message: string, code = 'ESANDBOX', options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** The policy is invalid; nothing was spawned. Names the field, the value and the fix. */
export class PolicyError extends SandboxError {
  readonly field: string;
  readonly value: unknown;
  readonly fix: string;
  constructor(field: string, value: unknown, problem: string, fix: string) {
    super(`${field}: ${problem} (got ${describeValue(value)}). Fix: ${fix}`, 'EPOLICY');
    this.field = field;
    this.value = value;
    this.fix = fix;
  }
}

/** A step of building the sandbox failed before the payload ran. */
export class SetupError extends SandboxError {
  /** The step in words, e.g. "mount /opt -> /opt (bind, read-only)". */
  readonly step: string;
  /** errno name, e.g. 'ENOENT'. */
  readonly errno: string;
  /** What to do about it, when nsbox knows. */
  readonly hint?: string;
  constructor(step: string, errno: string, explanation: string, hint?: string, code = 'ESETUP') {
    super(`${step}: ${errno}: ${explanation}${hint ? `. ${hint}` : ''}`, code);
    this.step = step;
    this.errno = errno;
    this.hint = hint;
  }
}

/** The command could not be executed inside the sandbox (not found, not executable). */
export class CommandError extends SetupError {
  readonly command: string;
  constructor(command: string, errno: string, explanation: string, hint?: string) {
    super(`exec ${command}`, errno, explanation, hint, errno === 'ENOENT' ? 'ENOTFOUND' : 'EEXEC');
    this.command = command;
  }
}

/** The host kernel or its configuration forbids something the policy needs. */
export class UnsupportedError extends SetupError {
  constructor(step: string, errno: string, explanation: string, hint: string) {
    super(step, errno, explanation, hint, 'EUNSUPPORTED');
  }
}

export function describeValue(value: unknown): string {
  if (typeof value === 'string') {
    const text = JSON.stringify(value);
    return text.length > 120 ? `${text.slice(0, 117)}..." (${value.length} characters)` : text;
  }
  if (typeof value === 'bigint') return `${value}n`;
  if (value instanceof Uint8Array) return `<${value.length} bytes>`;
  try {
    const text = JSON.stringify(value);
    if (text === undefined) return String(value);
    return text.length > 80 ? `${text.slice(0, 77)}...` : text;
  } catch {
    return String(value);
  }
}

/** A SandboxPool refused a job: its queue is full ('EQUEUEFULL') or the pool is closed ('ECLOSED'). */
export class PoolError extends SandboxError {}
