// Kernel knobs through /proc: writing /proc/sys/kernel/core_pattern to make the host kernel run a program as host
// root on the next crash (the core_pattern escape of privileged containers), /proc/sys/kernel/modprobe (the same
// with modprobe_path), /proc/sys/vm/drop_caches and /proc/sysrq-trigger (crash or reboot the host). All fail, as
// uid 0 inside too, and the host's values are unchanged.
import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Sandbox } from '../../src/index.js';

const KNOBS = ['/proc/sys/kernel/core_pattern', '/proc/sys/kernel/modprobe', '/proc/sys/kernel/hostname', '/proc/sys/vm/drop_caches', '/proc/sysrq-trigger'];
// 'h' only prints help to the kernel log, should sysrq-trigger ever be writable: the attempt stays harmless.
const VALUES: Record<string, string> = { '/proc/sys/vm/drop_caches': '1', '/proc/sysrq-trigger': 'h' };

const readable = (file: string) => {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return null; // sysrq-trigger is write-only
  }
};

describe('/proc/sys and /proc/sysrq-trigger', () => {
  it.each([1000, 0])('as uid %i inside: every write fails, and the host values are unchanged', async (uid) => {
    const before = KNOBS.map(readable);
    const script = KNOBS.map((knob) => `(printf '%s' '${VALUES[knob] ?? '|/tmp/pwn %p'}' > ${knob}) 2>/dev/null && echo "wrote ${knob}" || echo "denied ${knob}"`).join('; ');
    const result = await new Sandbox({ uid, gid: uid }).run('/bin/sh', ['-c', script]);
    expect(result.status).toBe('ok');
    expect(result.stdout).toBe(KNOBS.map((knob) => `denied ${knob}\n`).join(''));
    expect(KNOBS.map(readable)).toEqual(before);
  });
});
