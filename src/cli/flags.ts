// A small flag parser: --name VALUE, --name=VALUE, short aliases, `--` and repeatable flags,
// keeping the order flags were given in (mount flags apply in command-line order).
import { closestName } from '../policy/validate.js';

export interface FlagSpec {
  name: string;
  short?: string;
  /** Placeholder for the value, e.g. 'SRC[:DST]'; flags without it are switches. */
  value?: string;
  repeatable?: boolean;
  choices?: readonly string[];
  help: string;
}

export interface FlagUse {
  name: string;
  /** undefined for switches. */
  value: string | undefined;
}

export interface ParsedArgs {
  flags: FlagUse[];
  /** Everything after `--`, or from the first non-flag word on when the command takes a command line. */
  operands: string[];
}

/** A mistake on the command line: exits 2 with "nsbox: <subject>: <problem>. Fix: <fix>". */
export class UsageError extends Error {
  constructor(subject: string, problem: string, fix: string) {
    super(`${subject}: ${problem}. Fix: ${fix}`);
    this.name = 'UsageError';
  }
}

export interface ParseOptions {
  /** Used in fixes, e.g. 'nsbox run'. */
  command: string;
  /** The first non-flag word starts the operands (a command and its own flags), as if `--` preceded it. */
  stopAtOperand: boolean;
}

export function parseFlags(argv: readonly string[], specs: readonly FlagSpec[], options: ParseOptions): ParsedArgs {
  const flags: FlagUse[] = [];
  const operands: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const word = argv[i];
    if (word === '--') {
      operands.push(...argv.slice(i + 1));
      break;
    }
    if (!word.startsWith('-') || word === '-') {
      if (options.stopAtOperand) {
        operands.push(...argv.slice(i));
        break;
      }
      operands.push(word);
      continue;
    }
    const [written, inlineValue] = splitInlineValue(word);
    const spec = findSpec(written, specs, options.command);
    if (!spec.value) {
      if (inlineValue !== undefined) throw new UsageError(`--${spec.name}`, 'takes no value', `write --${spec.name} alone`);
      addUse(flags, spec, undefined);
      continue;
    }
    let value = inlineValue;
    if (value === undefined) {
      const next = argv[i + 1];
      if (next === undefined || (next.startsWith('-') && next !== '-')) {
        throw new UsageError(`--${spec.name}`, 'needs a value', `write --${spec.name} ${spec.value} (or --${spec.name}=VALUE for a value starting with '-')`);
      }
      value = next;
      i++;
    }
    checkChoice(spec, value);
    addUse(flags, spec, value);
  }
  return { flags, operands };
}

function splitInlineValue(word: string): [string, string | undefined] {
  const eq = word.indexOf('=');
  return word.startsWith('--') && eq > 2 ? [word.slice(0, eq), word.slice(eq + 1)] : [word, undefined];
}

function findSpec(written: string, specs: readonly FlagSpec[], command: string): FlagSpec {
  const spec = written.startsWith('--')
    ? specs.find((s) => s.name === written.slice(2))
    : specs.find((s) => s.short !== undefined && `-${s.short}` === written);
  if (spec) return spec;
  const suggestion = closestName(written.replace(/^-+/, ''), specs.map((s) => s.name));
  throw new UsageError(written, 'unknown flag', `${suggestion ? `did you mean --${suggestion}? ` : ''}\`${command} --help\` lists the flags`);
}

function checkChoice(spec: FlagSpec, value: string): void {
  if (!spec.choices || spec.choices.includes(value)) return;
  const suggestion = closestName(value, spec.choices);
  throw new UsageError(
    `--${spec.name} ${value}`,
    `must be one of ${spec.choices.join(', ')}`,
    suggestion ? `did you mean --${spec.name} ${suggestion}?` : `write e.g. --${spec.name} ${spec.choices[0]}`,
  );
}

function addUse(flags: FlagUse[], spec: FlagSpec, value: string | undefined): void {
  if (!spec.repeatable && flags.some((use) => use.name === spec.name)) {
    throw new UsageError(`--${spec.name}`, 'is given twice', `give --${spec.name} once`);
  }
  flags.push({ name: spec.name, value });
}

export function hasFlag(parsed: ParsedArgs, name: string): boolean {
  return parsed.flags.some((use) => use.name === name);
}

/** The value of a flag that may be given once. */
export function flagValue(parsed: ParsedArgs, name: string): string | undefined {
  return parsed.flags.find((use) => use.name === name)?.value;
}

/** "  --ro-bind SRC[:DST]   help" lines, aligned. */
export function describeFlags(specs: readonly FlagSpec[]): string {
  const heads = specs.map((s) => `${s.short ? `-${s.short}, ` : '    '}--${s.name}${s.value ? ` ${s.value}` : ''}`);
  const width = Math.max(...heads.map((h) => h.length));
  return specs.map((s, i) => `  ${heads[i].padEnd(width)}  ${s.help}${s.repeatable ? ' (repeatable)' : ''}`).join('\n');
}
