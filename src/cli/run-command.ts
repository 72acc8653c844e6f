// `nsbox run`: one sandboxed process with the terminal's stdio, its exit status passed through.
import { writeSync } from 'node:fs';
import type { RunReport } from '../report.js';
import { Sandbox } from '../sandbox.js';
import { describeError, errorRecord } from './describe-error.js';
import { exitCodeForError, exitCodeForReport } from './exit-status.js';
import { forwardSignals } from './forward-signals.js';
import { ReportOutput } from './report-output.js';
import { parseRunArgs, type RunRequest } from './run-flags.js';
import { runHelp } from './usage.js';

export async function runCommand(argv: readonly string[]): Promise<number> {
  const request = parseRunArgs(argv);
  if (request.help) {
    process.stdout.write(runHelp());
    return 0;
  }
  let output: ReportOutput | undefined;
  try {
    output = new ReportOutput(request.reportFile, request.json);
    const report = await runSandboxed(request);
    output.write(report);
    if (report.status === 'internal-error') printError(report.error ?? 'the sandbox ended without a report');
    return exitCodeForReport(report);
  } catch (error) {
    const message = describeError(error, request.origins);
    output?.write(errorRecord(error, message));
    printError(message);
    return exitCodeForError(error);
  }
}

async function runSandboxed(request: RunRequest): Promise<RunReport> {
  const sandbox = new Sandbox(request.policy);
  const forwarder = forwardSignals();
  try {
    // An output limit is counted on pipes nsbox reads, so then the output passes through this process.
    const piped = sandbox.policy.limits.outputBytes !== undefined;
    const out = piped ? 'pipe' : 'inherit';
    const child = sandbox.spawn(request.command, request.args, { stdin: 'inherit', stdout: out, stderr: out });
    forwarder.attach(child);
    child.stdout?.pipe(process.stdout);
    child.stderr?.pipe(process.stderr);
    return await child.report;
  } finally {
    forwarder.stop();
  }
}

function printError(message: string): void {
  writeSync(2, `nsbox: ${message}\n`);
}
