// Reads the init's fixed-size status records (src/native/protocol.h) from the status pipe.
import { Socket } from 'node:net';
import { STATUS_RECORD_BYTES } from './plan/protocol.js';

export interface StatusRecord {
  kind: number;
  step: number;
  op: number;
  detail: number;
  err: number;
  value: number;
  tNs: bigint;
  utimeUs: bigint;
  stimeUs: bigint;
  maxRssKb: bigint;
  reserved: bigint;
}

function decode(b: Buffer): StatusRecord {
  return {
    kind: b.readUInt32LE(0),
    step: b.readUInt32LE(4),
    op: b.readInt32LE(8),
    detail: b.readUInt32LE(12),
    err: b.readInt32LE(16),
    value: b.readInt32LE(20),
    tNs: b.readBigUInt64LE(24),
    utimeUs: b.readBigUInt64LE(32),
    stimeUs: b.readBigUInt64LE(40),
    maxRssKb: b.readBigUInt64LE(48),
    reserved: b.readBigUInt64LE(56),
  };
}

/** Wraps the read end as a non-blocking socket (not an fs stream: those tie up libuv's threadpool). */
export function readStatus(fd: number, onRecord: (r: StatusRecord) => void, onEnd: () => void): Socket {
  const socket = new Socket({ fd, readable: true, writable: false });
  let pending: Buffer = Buffer.alloc(0);
  socket.on('data', (chunk: Buffer) => {
    pending = pending.length ? Buffer.concat([pending, chunk]) : chunk;
    while (pending.length >= STATUS_RECORD_BYTES) {
      onRecord(decode(pending.subarray(0, STATUS_RECORD_BYTES)));
      pending = pending.subarray(STATUS_RECORD_BYTES);
    }
  });
  socket.on('error', () => socket.destroy());
  socket.on('close', onEnd);
  return socket;
}
