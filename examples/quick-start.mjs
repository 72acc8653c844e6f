// The smallest useful program: run a command in the default sandbox and read its report.
import { Sandbox } from 'nsbox';

const sandbox = new Sandbox();
const result = await sandbox.run('/bin/sh', ['-c', 'id; hostname; ls /']);
process.stdout.write(result.stdout);
console.log(`status=${result.status} exit=${result.exitCode} wall=${result.wallTimeMs.toFixed(1)}ms setup=${result.setupMs.toFixed(1)}ms`);
