// Locates nsbox-init and serves it from a sealed memfd, so the sandbox can never
// reach or rewrite the file the host executes (the runc CVE-2019-5736 class).
import { existsSync, readFileSync } from 'node:fs';
import { arch } from 'node:os';
import { fileURLToPath } from 'node:url';
import { sealedMemfd } from './syscalls/fds.js';
import { SandboxError } from './errors.js';

const packageRoot = fileURLToPath(new URL('..', import.meta.url));

/** Candidate paths, most specific first: an explicit override, a local build, the shipped prebuild. */
export function initCandidates(): string[] {
  const candidates = [
    `${packageRoot}build/nsbox-init`,
    `${packageRoot}prebuilds/linux-${arch()}/nsbox-init`,
  ];
  // Lets a test lane run a sanitizer build; set by whoever controls the host process.
  if (process.env.NSBOX_INIT) candidates.unshift(process.env.NSBOX_INIT);
  return candidates;
}

export function findInitBinary(): string {
  const found = initCandidates().find((path) => existsSync(path));
  if (!found) {
    throw new SandboxError(
      `nsbox-init not found (looked in ${initCandidates().join(', ')}). ` +
        'Run `npm run build:native` in the nsbox package (needs a C compiler), or install a release that ships prebuilds/.',
      'ENOINIT',
    );
  }
  return found;
}

let memfdPath: string | undefined;

/** `/proc/self/fd/N` of the sealed copy; made once per host process. */
export function initExecPath(): string {
  if (!memfdPath) {
    const fd = sealedMemfd('nsbox-init', readFileSync(findInitBinary()), true);
    memfdPath = `/proc/self/fd/${fd}`;
  }
  return memfdPath;
}
