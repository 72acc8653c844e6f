// Help texts. The run flags are listed from their specs, so the help cannot drift from the parser.
import { describeFlags } from './flags.js';
import { RUN_FLAGS } from './run-flags.js';

const EXIT_STATUS = `Exit status of run:
  the command's own; 128+N when it was killed by signal N;
  125 when nsbox could not build the sandbox; 126 when the command could not be executed;
  127 when it was not found; 2 for a bad command line.`;

export function mainHelp(): string {
  return `nsbox: run a command in a Linux sandbox (namespaces, read-only root, no capabilities)

Usage:
  nsbox run [flags] -- COMMAND [ARGS...]   run COMMAND in a sandbox
  nsbox doctor [--json]                    check what this host supports
  nsbox help [run|doctor]                  show help
  nsbox --version                          print the version

${EXIT_STATUS}
`;
}

export function runHelp(): string {
  return `Usage: nsbox run [flags] -- COMMAND [ARGS...]

Runs COMMAND in a new sandbox with this terminal's stdin, stdout and stderr.
Signals INT, TERM and HUP sent to nsbox are passed on to the command.

Flags:
${describeFlags(RUN_FLAGS)}

Mounts are applied in the order given, after the profile's.

Examples:
  nsbox run -- /bin/echo hi
  nsbox run --ro-bind ./src:/src --tmpfs /out:64M --cwd /src -- make
  nsbox run --net loopback --env PORT=8080 -- python3 -m http.server 8080

${EXIT_STATUS}
`;
}
