// Where `nsbox run` puts its report: a file opened before the run (so a bad path fails early) and/or stderr.
import { closeSync, openSync, writeSync } from 'node:fs';
import { SandboxError } from '../errors.js';

export class ReportOutput {
  private readonly fd: number | undefined;

  constructor(file: string | undefined, private readonly toStderr: boolean) {
    if (file === undefined) return;
    try {
      this.fd = openSync(file, 'w', 0o644);
    } catch (error) {
      throw new SandboxError(`--report-file ${file}: cannot open it for writing (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`, 'EREPORT');
    }
  }

  /** Writes once and closes the file; synchronous, so nothing is lost when the process exits. */
  write(record: object): void {
    const text = `${JSON.stringify(record, null, 2)}\n`;
    if (this.fd !== undefined) {
      writeSync(this.fd, text);
      closeSync(this.fd);
    }
    if (this.toStderr) writeSync(2, text);
  }
}
