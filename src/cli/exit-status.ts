// Exit statuses follow the shells and env(1): nsbox's own failures never look like the command's.
import { CommandError } from '../errors.js';
import type { RunReport } from '../report.js';

export const EXIT_USAGE = 2;
/** The sandbox could not be built (policy, setup, host). */
export const EXIT_NSBOX_FAILED = 125;
/** The command exists but could not be executed. */
export const EXIT_CANNOT_EXECUTE = 126;
export const EXIT_NOT_FOUND = 127;
const SIGNAL_BASE = 128;

export function exitCodeForReport(report: RunReport): number {
  if (report.exitCode !== null) return report.exitCode;
  if (report.signalNumber !== null) return SIGNAL_BASE + report.signalNumber;
  return EXIT_NSBOX_FAILED;
}

export function exitCodeForError(error: unknown): number {
  if (error instanceof CommandError) return error.errno === 'ENOENT' ? EXIT_NOT_FOUND : EXIT_CANNOT_EXECUTE;
  return EXIT_NSBOX_FAILED;
}
