#!/usr/bin/env node
// The `nsbox` command. Usage mistakes exit 2; everything else is decided by the subcommand.
import { writeSync } from 'node:fs';
import { closestName } from '../policy/validate.js';
import { describeError } from './describe-error.js';
import { doctorCommand, doctorHelp } from './doctor-command.js';
import { EXIT_NSBOX_FAILED, EXIT_USAGE } from './exit-status.js';
import { UsageError } from './flags.js';
import { runCommand } from './run-command.js';
import { mainHelp, runHelp } from './usage.js';
import { NSBOX_VERSION } from './version.js';

const COMMANDS = ['run', 'doctor', 'help'];

async function main(argv: readonly string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'run':
      return runCommand(rest);
    case 'doctor':
      return doctorCommand(rest);
    case 'help':
    case '--help':
    case '-h':
      return help(rest[0]);
    case '--version':
    case '-V':
      process.stdout.write(`nsbox ${NSBOX_VERSION}\n`);
      return 0;
    case undefined:
      process.stderr.write(mainHelp());
      return EXIT_USAGE;
    default: {
      const suggestion = closestName(command.replace(/^-+/, ''), COMMANDS);
      const fix = `${suggestion ? `did you mean nsbox ${suggestion}? ` : ''}\`nsbox help\` lists the commands`;
      throw new UsageError(command, command.startsWith('-') ? 'unknown flag' : 'is not an nsbox command', fix);
    }
  }
}

function help(topic: string | undefined): number {
  const texts: Record<string, () => string> = { run: runHelp, doctor: doctorHelp };
  if (topic !== undefined && !texts[topic]) {
    throw new UsageError(`help ${topic}`, 'no such command', 'write nsbox help run or nsbox help doctor');
  }
  process.stdout.write((topic ? texts[topic] : mainHelp)());
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    const usage = error instanceof UsageError;
    writeSync(2, `nsbox: ${usage ? error.message : describeError(error)}\n`);
    process.exitCode = usage ? EXIT_USAGE : EXIT_NSBOX_FAILED;
  },
);
