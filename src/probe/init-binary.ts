// Which nsbox-init would be used, and whether it is an executable for this machine.
import { closeSync, openSync, readSync } from 'node:fs';
import { arch } from 'node:os';
import { findInitBinary } from '../init-binary.js';
import type { ProbeItem } from './types.js';

/** ELF e_machine values of the architectures nsbox ships for. */
const ELF_MACHINES: Record<number, string> = { 62: 'x64', 183: 'arm64' };

function describeOrigin(path: string): string {
  if (process.env.NSBOX_INIT && path === process.env.NSBOX_INIT) return 'NSBOX_INIT override';
  if (path.includes('/prebuilds/')) return 'shipped prebuild';
  return 'local build';
}

/** The architecture an ELF file is built for, or undefined when it is not ELF. */
export function elfArch(path: string): string | undefined {
  const header = Buffer.alloc(20);
  const fd = openSync(path, 'r');
  try {
    readSync(fd, header, 0, header.length, 0);
  } finally {
    closeSync(fd);
  }
  if (header.readUInt32BE(0) !== 0x7f454c46) return undefined;
  const machine = header.readUInt16LE(18);
  return ELF_MACHINES[machine] ?? `e_machine ${machine}`;
}

export function checkInitBinary(): ProbeItem {
  const base = { id: 'init', name: 'nsbox-init', required: true };
  let path: string;
  try {
    path = findInitBinary();
  } catch (error) {
    return { ...base, ok: false, detail: (error as Error).message, fix: 'run `npm run build:native` in the nsbox package (needs a C compiler)' };
  }
  const binaryArch = elfArch(path);
  const origin = describeOrigin(path);
  if (binaryArch !== arch()) {
    return {
      ...base,
      ok: false,
      detail: `${path} (${origin}) is ${binaryArch ? `built for ${binaryArch}` : 'not an ELF executable'}, but this machine is ${arch()}`,
      fix: 'rebuild it here with `npm run build:native`',
    };
  }
  return { ...base, ok: true, detail: `${path} (${origin}, ${binaryArch})` };
}
