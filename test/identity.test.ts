// Who the payload is: inside ids, the single id mapping, the hostname, and what the report says.
import fs from 'node:fs';
import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Bundle, bundleSource } from './helpers/bundle.js';
import { Sandbox } from '../src/index.js';
import { expectedHostGid, expectedHostUid, isRoot, lane } from './helpers/host.js';
import { lines, okOutput, sh } from './helpers/run.js';

interface MapLine {
  inside: number;
  outside: number;
  count: number;
}

function parseMap(text: string): MapLine[] {
  return lines(text).map((line) => {
    const [inside, outside, count] = line.trim().split(/\s+/).map(Number);
    return { inside, outside, count };
  });
}

const SCRIPT = 'id -u; id -g; echo ---; cat /proc/self/uid_map; echo ---; cat /proc/self/gid_map';

async function identity(policy: ConstructorParameters<typeof Sandbox>[0]) {
  const [ids, uidMap, gidMap] = okOutput(await sh(SCRIPT, policy)).split('---\n');
  const [uid, gid] = lines(ids).map(Number);
  return { uid, gid, uidMap: parseMap(uidMap), gidMap: parseMap(gidMap) };
}

describe('identity', () => {
  it('the test lane matches the user the tests run as', () => {
    // scripts/test.mjs sets NSBOX_TEST_LANE; a rootless lane that ran as root would test nothing rootless.
    expect(lane()).toBe(isRoot() ? 'root' : 'rootless');
  });

  it('runs as uid/gid 1000 by default, mapped to one unprivileged host id', async () => {
    const seen = await identity({});
    expect(seen.uid).toBe(1000);
    expect(seen.gid).toBe(1000);
    expect(seen.uidMap).toEqual([{ inside: 1000, outside: expectedHostUid(), count: 1 }]);
    expect(seen.gidMap).toEqual([{ inside: 1000, outside: expectedHostGid(), count: 1 }]);
  });

  it('runs as the policy uid/gid', async () => {
    const seen = await identity({ uid: 4242, gid: 4343 });
    expect([seen.uid, seen.gid]).toEqual([4242, 4343]);
    expect(seen.uidMap).toEqual([{ inside: 4242, outside: expectedHostUid(), count: 1 }]);
    expect(seen.gidMap).toEqual([{ inside: 4343, outside: expectedHostGid(), count: 1 }]);
  });

  it('uid 0 inside is still an unprivileged host id, never host root', async () => {
    const seen = await identity({ uid: 0, gid: 0 });
    expect([seen.uid, seen.gid]).toEqual([0, 0]);
    expect(seen.uidMap).toEqual([{ inside: 0, outside: expectedHostUid(), count: 1 }]);
    expect(seen.gidMap).toEqual([{ inside: 0, outside: expectedHostGid(), count: 1 }]);
    for (const line of [...seen.uidMap, ...seen.gidMap]) expect(line.outside).not.toBe(0);
  });

  it.runIf(isRoot())('a root host maps to the policy hostUid/hostGid', async () => {
    const seen = await identity({ hostUid: 23456, hostGid: 23457 });
    expect(seen.uidMap).toEqual([{ inside: 1000, outside: 23456, count: 1 }]);
    expect(seen.gidMap).toEqual([{ inside: 1000, outside: 23457, count: 1 }]);
  });

  it.runIf(!isRoot())('a rootless host maps its own ids and ignores hostUid/hostGid', async () => {
    const seen = await identity({ hostUid: 23456, hostGid: 23457 });
    expect(seen.uidMap).toEqual([{ inside: 1000, outside: process.geteuid!(), count: 1 }]);
    expect(seen.gidMap).toEqual([{ inside: 1000, outside: process.getegid!(), count: 1 }]);
  });

  it('the sandbox processes run as the mapped host ids as seen from the host', async () => {
    const child = new Sandbox({}).spawn('/bin/sleep', ['30']);
    try {
      await new Promise<void>((resolve) => child.once('spawn', resolve));
      const status = fs.readFileSync(`/proc/${child.pid}/status`, 'utf8');
      const [real, effective, saved, fsUid] = /^Uid:[ \t]*(.*)$/m.exec(status)![1].trim().split(/\s+/).map(Number);
      expect([real, effective, saved, fsUid]).toEqual(Array(4).fill(expectedHostUid()));
      const gids = /^Gid:[ \t]*(.*)$/m.exec(status)![1].trim().split(/\s+/).map(Number);
      expect(gids).toEqual(Array(4).fill(expectedHostGid()));
      // A root host drops its supplementary groups (often gid 0); a rootless host cannot (setgroups is
      // denied to it), so the sandbox keeps exactly the caller's own groups, and never gains any.
      // (process.getgroups() would add the egid, so compare with the kernel's own list.)
      const groupsOf = (text: string) => /^Groups:[ \t]*(.*)$/m.exec(text)![1].trim().split(/\s+/).filter(Boolean).map(Number).sort((a, b) => a - b);
      expect(groupsOf(status)).toEqual(isRoot() ? [] : groupsOf(fs.readFileSync('/proc/self/status', 'utf8')));
    } finally {
      child.kill('SIGKILL');
      await child.report;
    }
  });

  it('the hostname is the policy hostname', async () => {
    expect(okOutput(await sh('hostname; cat /etc/hostname', {}))).toBe('sandbox\nsandbox\n');
    expect(okOutput(await sh('hostname; cat /etc/hostname', { hostname: 'build-01.local' }))).toBe('build-01.local\nbuild-01.local\n');
  });

  it('the generated /etc/passwd and /etc/group name the inside ids', async () => {
    expect(okOutput(await sh('id -un; id -gn', {}))).toBe('sandbox\nsandbox\n');
    expect(okOutput(await sh('id -un; id -gn', { uid: 0, gid: 0 }))).toBe('root\nroot\n');
  });

  it('report.enforced describes the identity in force', async () => {
    const result = await sh('true', { uid: 1234, gid: 5678, hostname: 'h1' });
    expect(result.status).toBe('ok');
    expect(result.enforced.rootless).toBe(!isRoot());
    expect(result.enforced.idMap).toEqual({ uid: 1234, gid: 5678, hostUid: expectedHostUid(), hostGid: expectedHostGid() });
    expect(result.enforced.namespaces).toEqual({ user: true, pid: true, mount: true, net: true, ipc: true, uts: true, cgroup: true });
    expect(result.enforced.noNewPrivs).toBe(true);
    expect(result.enforced.capabilities).toEqual([]);
    expect(result.enforced.readOnlyRoot).toBe(true);
    expect(result.enforced.network).toBe('none');
  });
});

// Root without CAP_SYS_ADMIN (a container's root, say) is still root: it must map to the
// unprivileged host id, never to 0, and its supplementary groups must not follow.
describe.runIf(isRoot())('a root host without CAP_SYS_ADMIN', () => {
  let bundle: Bundle;
  beforeAll(() => {
    bundle = bundleSource();
  }, 60_000);
  afterAll(() => bundle?.cleanup());

  it('maps inside ids to 65534, not to host root', () => {
    const script = `const { Sandbox } = await import(process.env.NSBOX_BUNDLE);
      const r = await new Sandbox().run('/bin/sh', ['-c', 'cat /proc/self/uid_map /proc/self/gid_map; grep CapEff /proc/1/status 2>/dev/null; id -G']);
      process.stdout.write(JSON.stringify(r));`;
    const out = execFileSync('setpriv', ['--inh-caps=-sys_admin', '--bounding-set=-sys_admin', process.execPath, '--input-type=module', '-e', script], {
      env: { ...bundle.env, NSBOX_BUNDLE: bundle.file },
      encoding: 'utf8',
    });
    const report = JSON.parse(out);
    expect(report.status).toBe('ok');
    const maps = parseMap(report.stdout.split('\n').slice(0, 2).join('\n'));
    expect(maps).toEqual([{ inside: 1000, outside: 65534, count: 1 }, { inside: 1000, outside: 65534, count: 1 }]);
    expect(report.enforced.idMap).toMatchObject({ hostUid: 65534, hostGid: 65534 });
    expect(report.enforced.rootless).toBe(false);
  });
});
