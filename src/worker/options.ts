// Checking startWorker's arguments: every problem is a PolicyError naming the field, the value and the fix.
import fs from 'node:fs';
import path from 'node:path';
import { PolicyError } from '../errors.js';
import type { StdioOption } from '../launch.js';
import { closestName } from '../policy/checks.js';
import { parseSize } from '../policy/size.js';
import type { Limits, Size } from '../policy/types.js';

export interface WorkerOptions {
  /**
   * Host directory shown read-only at /plugin, which must contain the module (default: the module's
   * directory). Use the plugin's package root when it imports files or node_modules from above its own directory.
   */
  root?: string;
  /** Arguments after the module in the plugin's process.argv. */
  args?: string[];
  /** Flags for node itself, e.g. ['--max-old-space-size=64']. */
  execArgv?: string[];
  /** Largest message body either side may send (bytes or '16M'; default 16 MiB, at most 1 GiB). */
  maxMessageBytes?: Size;
  /** Default timeout of request() in ms (default 30000); Infinity waits forever. */
  requestTimeout?: number;
  /** Added to the policy's environment. Nothing from the host's environment passes otherwise. */
  env?: Record<string, string>;
  /** Working directory inside (default /plugin). */
  cwd?: string;
  limits?: Limits;
  signal?: AbortSignal;
  statsInterval?: number;
  /** The worker's stdio (default stdin 'ignore', stdout and stderr 'pipe': read them, or pass 'ignore' or 'inherit'). */
  stdin?: StdioOption;
  stdout?: StdioOption;
  stderr?: StdioOption;
}

export interface ResolvedWorkerOptions {
  /** Real host paths. */
  modulePath: string;
  root: string;
  /** The module's path inside: /plugin/<path below root>. */
  insideModule: string;
  args: string[];
  execArgv: string[];
  maxMessageBytes: number;
  requestTimeout: number;
  env: Record<string, string>;
}

export const PLUGIN_DIR = '/plugin';
export const DEFAULT_MAX_MESSAGE = 16 * 1024 * 1024;
const MAX_MAX_MESSAGE = 1024 * 1024 * 1024;
const RESERVED_ENV = ['NSBOX_WORKER_FD', 'NSBOX_WORKER_MAX_BYTES', 'NSBOX_WORKER_TIMEOUT_MS', 'ELECTRON_RUN_AS_NODE'];
const KNOWN = ['root', 'args', 'execArgv', 'maxMessageBytes', 'requestTimeout', 'env', 'cwd', 'limits', 'signal', 'statsInterval', 'stdin', 'stdout', 'stderr'] as const;

function realFile(field: string, value: unknown, what: 'file' | 'directory'): string {
  if (typeof value !== 'string' || value.length === 0 || value.includes('\0')) {
    throw new PolicyError(field, value, `must be a path to a ${what}`, `pass e.g. ${what === 'file' ? "new URL('./plugin.mjs', import.meta.url).pathname" : "'/srv/plugins/foo'"}`);
  }
  let real: string;
  try {
    real = fs.realpathSync(path.resolve(value));
  } catch (error) {
    throw new PolicyError(field, value, `cannot be resolved on the host (${(error as NodeJS.ErrnoException).code})`, `pass an existing ${what}`);
  }
  const stat = fs.statSync(real);
  if (what === 'file' ? !stat.isFile() : !stat.isDirectory()) throw new PolicyError(field, value, `is not a ${what}`, `pass a ${what}`);
  return real;
}

function stringList(field: string, value: unknown, check: (item: string) => boolean, example: string): string[] {
  if (value === undefined) return [];
  if (!Array.isArray(value) || value.some((a) => typeof a !== 'string' || a.includes('\0') || !check(a))) {
    throw new PolicyError(field, value, 'must be an array of strings without NUL', `write e.g. ${example}`);
  }
  return [...value];
}

export function resolveWorkerOptions(modulePath: unknown, options: WorkerOptions): ResolvedWorkerOptions {
  if (typeof options !== 'object' || options === null) throw new PolicyError('options', options, 'must be an object', 'pass {} or leave it out');
  for (const key of Object.keys(options)) {
    if (!(KNOWN as readonly string[]).includes(key)) {
      const near = closestName(key, KNOWN);
      throw new PolicyError(`options.${key}`, (options as Record<string, unknown>)[key], 'is not a worker option', near ? `did you mean '${near}'?` : `use one of ${KNOWN.join(', ')}`);
    }
  }
  const file = realFile('modulePath', modulePath, 'file');
  const root = options.root === undefined ? path.dirname(file) : realFile('options.root', options.root, 'directory');
  if (root === '/') throw new PolicyError('options.root', options.root, 'would show the whole host filesystem to the plugin', "pass the plugin's own directory");
  const below = path.relative(root, file);
  if (below.startsWith('..') || path.isAbsolute(below)) {
    throw new PolicyError('options.root', options.root, `does not contain the module (${file})`, "pass the module's directory or one above it");
  }
  const maxMessageBytes = options.maxMessageBytes === undefined ? DEFAULT_MAX_MESSAGE : parseSize('options.maxMessageBytes', options.maxMessageBytes);
  if (maxMessageBytes < 64 || maxMessageBytes > MAX_MAX_MESSAGE) {
    throw new PolicyError('options.maxMessageBytes', options.maxMessageBytes, 'must be between 64 bytes and 1 GiB', "write e.g. '16M'");
  }
  const requestTimeout = options.requestTimeout ?? 30_000;
  if (typeof requestTimeout !== 'number' || !(requestTimeout > 0) || (Number.isFinite(requestTimeout) && requestTimeout > 2 ** 31 - 1)) {
    throw new PolicyError('options.requestTimeout', requestTimeout, 'must be a number of milliseconds above 0, or Infinity', 'write e.g. 5000');
  }
  const env = options.env ?? {};
  for (const name of RESERVED_ENV) {
    if (typeof env === 'object' && env !== null && name in env) {
      throw new PolicyError(`options.env.${name}`, env[name], 'is set by nsbox for the worker', `leave ${name} out`);
    }
  }
  return {
    modulePath: file,
    root,
    insideModule: path.posix.join(PLUGIN_DIR, below),
    args: stringList('options.args', options.args, () => true, "['--verbose']"),
    execArgv: stringList('options.execArgv', options.execArgv, (a) => a.startsWith('-'), "['--max-old-space-size=64']"),
    maxMessageBytes,
    requestTimeout,
    env,
  };
}
