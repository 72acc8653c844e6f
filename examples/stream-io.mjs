// Streams: the sandbox's stdin and stdout are ordinary Node streams.
import { Sandbox } from 'nsbox';

const child = new Sandbox().spawn('tr', ['a-z', 'A-Z'], { stdin: 'pipe' });
child.on('spawn', () => console.log(`spawned as host pid ${child.pid}`));
child.stdout.pipe(process.stdout);
child.stdin.write('hello from the host\n');
child.stdin.end('streams work both ways\n');
const report = await child.report;
console.log(`status=${report.status} exit=${report.exitCode}`);
