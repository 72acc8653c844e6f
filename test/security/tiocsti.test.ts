// Typing into the host's terminal with TIOCSTI (CVE-2016-7545 in SELinux's sandbox, CVE-2017-5226 in bubblewrap,
// CVE-2019-10063 in Flatpak): a payload whose stdin is the host's terminal pushes
// characters into its input queue, and the host's shell runs them after the sandbox exits. The host here runs
// inside a real pseudo-terminal (script(1)) and hands it to the payload with stdin 'inherit'.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { bundleSource } from '../helpers/bundle.js';
import { hasPython, PYTHON } from '../helpers/host.js';

// TIOCSTI pushes characters into a terminal's input queue, as if typed there. Only possible on
// one's controlling terminal, so the payload's setsid() must leave it without one.
const SKIP = !hasPython ? '/usr/bin/python3 is missing' : !fs.existsSync('/usr/bin/script') ? 'script(1) (util-linux) is missing' : null;

describe.skipIf(SKIP !== null)(SKIP === null ? 'the host terminal' : `the host terminal [skipped: ${SKIP}]`, () => {
  const probe = 'import fcntl, termios, os\ntry:\n fcntl.ioctl(0, termios.TIOCSTI, b" ")\n print("injected")\nexcept OSError as e:\n print(os.strerror(e.errno))';

  it('cannot be written into with TIOCSTI, although an unsandboxed process could', () => {
    const bundle = bundleSource();
    try {
      const host = `import { Sandbox } from '${bundle.file}'; const c = new Sandbox().spawn('${PYTHON}', ['-c', ${JSON.stringify(probe)}], { stdin: 'inherit', stdout: 'inherit' }); await c.report;`;
      fs.writeFileSync(`${bundle.file}.host.mjs`, host);
      const inTerminal = (command: string) =>
        execFileSync('script', ['-qec', command, '/dev/null'], { env: bundle.env, encoding: 'utf8', timeout: 20_000 });
      // Kernels >= 6.2 may turn TIOCSTI off for everyone (dev.tty.legacy_tiocsti=0, then EIO); the control says which.
      const legacy = '/proc/sys/dev/tty/legacy_tiocsti';
      const legacyAllowed = !fs.existsSync(legacy) || fs.readFileSync(legacy, 'utf8').trim() === '1';
      if (legacyAllowed) expect(inTerminal(`${PYTHON} -c '${probe}'`)).toContain('injected');
      expect(inTerminal(`${process.execPath} ${bundle.file}.host.mjs`)).toMatch(/Operation not permitted|Input\/output error/);
    } finally {
      bundle.cleanup();
    }
  });
});
