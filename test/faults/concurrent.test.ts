// 200 spawns at once, a third of them invalid (a bad policy, or a command that does not exist): every valid run
// succeeds with its own output, every invalid one fails with a typed error, and nothing is left behind: no
// descriptor, zombie or process.
import { describe, expect, it } from 'vitest';
import { CommandError, PolicyError, Sandbox } from '../../src/index.js';
import { hostProcessesMatching, openFds, waitFor, zombieChildren } from '../helpers/host.js';

describe('200 concurrent spawns, a third invalid', () => {
  it('valid runs all succeed, invalid ones fail with PolicyError or CommandError, and nothing leaks', async () => {
    const sandbox = new Sandbox({});
    await sandbox.run('/bin/true'); // the init memfd and the koffi bindings stay for the process
    const before = openFds();
    const tag = `nsbox-concurrent-${process.pid}`;
    const outcomes = await Promise.all(Array.from({ length: 200 }, async (_, i) => {
      try {
        if (i % 6 === 0) new Sandbox({ mounts: [{ type: 'tmpfs', target: `relative-${i}` }] });
        if (i % 6 === 3) await sandbox.run(`${tag}-missing-${i}`);
        const result = await sandbox.run('/bin/echo', [tag, String(i)]);
        return result.status === 'ok' && result.stdout === `${tag} ${i}\n` ? 'ok' : `wrong ${result.status} ${result.stdout}`;
      } catch (error) {
        if (error instanceof PolicyError) return `PolicyError ${error.field}`;
        if (error instanceof CommandError) return `CommandError ${error.code}`;
        return `untyped ${String(error)}`;
      }
    }));
    const counts: Record<string, number> = {};
    for (const outcome of outcomes) counts[outcome] = (counts[outcome] ?? 0) + 1;
    expect(counts).toEqual({ ok: 133, 'PolicyError policy.mounts[0].target': 34, 'CommandError ENOTFOUND': 33 });
    expect(await waitFor(() => openFds().length === before.length, 1000)).toBe(true);
    expect(openFds()).toEqual(before);
    expect(zombieChildren()).toEqual([]);
    expect(hostProcessesMatching(tag)).toEqual([]);
  });
});
