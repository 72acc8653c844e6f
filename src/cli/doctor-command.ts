// `nsbox doctor`: what this host supports, and whether a default sandbox starts.
import { probeHost } from '../probe/index.js';
import { formatDoctorTable } from './doctor-table.js';
import { describeFlags, type FlagSpec, hasFlag, parseFlags, UsageError } from './flags.js';

export const DOCTOR_FLAGS: readonly FlagSpec[] = [
  { name: 'json', help: 'print the report as JSON' },
  { name: 'help', short: 'h', help: 'show this help' },
];

export async function doctorCommand(argv: readonly string[]): Promise<number> {
  const parsed = parseFlags(argv, DOCTOR_FLAGS, { command: 'nsbox doctor', stopAtOperand: false });
  if (parsed.operands.length > 0) {
    throw new UsageError(`doctor ${parsed.operands[0]}`, 'doctor takes no arguments', 'write nsbox doctor or nsbox doctor --json');
  }
  if (hasFlag(parsed, 'help')) {
    process.stdout.write(doctorHelp());
    return 0;
  }
  const report = await probeHost();
  process.stdout.write(hasFlag(parsed, 'json') ? `${JSON.stringify(report, null, 2)}\n` : formatDoctorTable(report));
  return report.summary.canRunSandbox ? 0 : 1;
}

export function doctorHelp(): string {
  return `Usage: nsbox doctor [--json]

Checks what this host supports (kernel, user namespaces, cgroups, seccomp, Landlock, ...)
and starts a test sandbox. Exits 0 when a default sandbox can run here, 1 otherwise.

Flags:
${describeFlags(DOCTOR_FLAGS)}
`;
}
