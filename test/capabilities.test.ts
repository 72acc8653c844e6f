// Capabilities: every set empty by default, exactly the kept ones otherwise, and no_new_privs.
import { describe, expect, it } from 'vitest';
import { capabilityField, hasPython, statusField } from './helpers/host.js';
import { okOutput, py, sh } from './helpers/run.js';

const SETS = ['CapInh', 'CapPrm', 'CapEff', 'CapBnd', 'CapAmb'] as const;
const CAP_NET_BIND_SERVICE = 10n;

async function payloadStatus(policy: Parameters<typeof sh>[1]): Promise<string> {
  // cat is the process reading /proc/self/status: the state after the payload's own execve.
  return okOutput(await sh('cat /proc/self/status; exit $?', policy));
}

function sets(status: string): Record<(typeof SETS)[number], bigint> {
  return Object.fromEntries(SETS.map((name) => [name, capabilityField(status, name)])) as Record<(typeof SETS)[number], bigint>;
}

// Binds a privileged port on the sandbox's own loopback; prints OK or the errno name.
const BIND_PORT_80 = `
import errno, socket
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
try:
    s.bind(('127.0.0.1', 80))
    print('OK')
except OSError as e:
    print(errno.errorcode.get(e.errno, e.errno))
`;

describe('capabilities', () => {
  it('every capability set is empty and no_new_privs is set by default', async () => {
    const status = await payloadStatus({});
    expect(sets(status)).toEqual({ CapInh: 0n, CapPrm: 0n, CapEff: 0n, CapBnd: 0n, CapAmb: 0n });
    expect(statusField(status, 'NoNewPrivs')).toBe('1');
  });

  it('a kept capability is the only bit in every set', async () => {
    const status = await payloadStatus({ capabilities: ['CAP_NET_BIND_SERVICE'] });
    const bit = 1n << CAP_NET_BIND_SERVICE;
    expect(sets(status)).toEqual({ CapInh: bit, CapPrm: bit, CapEff: bit, CapBnd: bit, CapAmb: bit });
    expect(statusField(status, 'NoNewPrivs')).toBe('1');
  });

  it('a kept capability survives into grandchildren (ambient), and nothing more appears', async () => {
    const out = okOutput(await sh("/bin/sh -c 'grep -E \"^Cap(Eff|Amb)\" /proc/self/status'; exit $?", { capabilities: ['CAP_NET_BIND_SERVICE', 'CAP_KILL'] }));
    const mask = (1n << CAP_NET_BIND_SERVICE) | (1n << 5n);
    expect(capabilityField(out, 'CapEff')).toBe(mask);
    expect(capabilityField(out, 'CapAmb')).toBe(mask);
  });

  it('uid 0 inside has no capabilities after exec (securebits NOROOT)', async () => {
    const status = await payloadStatus({ uid: 0, gid: 0 });
    expect(statusField(status, 'Uid').split(/\s+/)).toEqual(['0', '0', '0', '0']);
    expect(sets(status)).toEqual({ CapInh: 0n, CapPrm: 0n, CapEff: 0n, CapBnd: 0n, CapAmb: 0n });
    expect(statusField(status, 'NoNewPrivs')).toBe('1');
  });

  it('uid 0 inside cannot do what root of the namespaces could (sethostname needs CAP_SYS_ADMIN)', async () => {
    const script = 'hostname evil 2>/dev/null && echo changed || echo denied; hostname; exit 0';
    expect(okOutput(await sh(script, { uid: 0, gid: 0 }))).toBe('denied\nsandbox\n');
  });

  it('uid 0 inside does not bypass file permissions unless CAP_DAC_OVERRIDE is kept', async () => {
    const script = 'echo secret > /tmp/f; chmod 000 /tmp/f; cat /tmp/f 2>/dev/null || echo denied';
    expect(okOutput(await sh(script, { uid: 0, gid: 0 }))).toBe('denied\n');
    // The same read succeeds with the capability, so the check above can tell the difference.
    expect(okOutput(await sh(script, { uid: 0, gid: 0, capabilities: ['CAP_DAC_OVERRIDE'] }))).toBe('secret\n');
  });

  it.runIf(hasPython)('the kept capability works, and without it the same call is refused', async () => {
    const without = await py(BIND_PORT_80, { network: 'loopback' });
    expect(okOutput(without).trim()).toBe('EACCES');
    const withCap = await py(BIND_PORT_80, { network: 'loopback', capabilities: ['CAP_NET_BIND_SERVICE'] });
    expect(okOutput(withCap).trim()).toBe('OK');
  });

  it('report.enforced lists the kept capabilities', async () => {
    const result = await sh('true', { capabilities: ['CAP_NET_BIND_SERVICE'] });
    expect(result.enforced.capabilities).toEqual(['CAP_NET_BIND_SERVICE']);
    expect(result.enforced.noNewPrivs).toBe(true);
  });
});
