// The frame reader on its own: frames split at any byte, several per chunk, oversize refused from the header.
import v8 from 'node:v8';
import { describe, expect, it } from 'vitest';
import { channelRuntime, type EndpointHooks } from '../../src/worker/protocol.js';

const runtime = channelRuntime({ v8 });

function endpoint(maxBytes = 1024) {
  const got: unknown[] = [];
  const violations: string[] = [];
  const hooks: EndpointHooks = {
    write: () => true,
    message: (v) => got.push(v),
    violation: (code, detail) => violations.push(`${code} ${detail}`),
    sizeError: () => new RangeError('size'),
    timeoutError: () => new Error('timeout'),
    remoteError: () => new Error('remote'),
  };
  return { ep: new runtime.Endpoint(hooks, maxBytes), got, violations };
}

describe('channel framing', () => {
  it('reassembles frames fed one byte at a time, and several frames in one chunk', () => {
    const frames = Buffer.concat([runtime.encode([0, 'a']), runtime.encode([0, { b: [1, 2] }]), runtime.encode([0, 3n])]);
    const bytewise = endpoint();
    for (let i = 0; i < frames.length; i++) bytewise.ep.receive(frames.subarray(i, i + 1));
    const whole = endpoint();
    whole.ep.receive(frames);
    for (const { got, violations } of [bytewise, whole]) {
      expect(got).toEqual(['a', { b: [1, 2] }, 3n]);
      expect(violations).toEqual([]);
    }
  });

  it('refuses an oversize frame from its 4-byte header alone', () => {
    const { ep, violations } = endpoint(100);
    const header = Buffer.alloc(4);
    header.writeUInt32LE(101, 0);
    ep.receive(header);
    expect(violations).toEqual(['EMSGSIZE a frame announced 101 bytes, over the limit of 100']);
  });

  it.each([
    ['a request without an id', [1, 0, 'm', null]],
    ['a request with an empty method', [1, 1, '', null]],
    ['a failure without an error', [3, 1, 'nope']],
    ['an unknown kind', [9]],
    ['a message with extra items', [0, 1, 2]],
  ])('refuses %s as EPROTO', (_what, envelope) => {
    const { ep, violations } = endpoint();
    ep.receive(runtime.encode(envelope));
    expect(violations[0]).toMatch(/^EPROTO /);
  });
});
