// Counts stdout plus stderr against limits.output. The sockets feed PassThrough streams that
// the caller reads; past the limit the run is killed and whatever still drains from the pipes is
// dropped, so the host never buffers more than the limit.
import { PassThrough, type Readable } from 'node:stream';
import type { Socket } from 'node:net';

export interface LimitedOutput {
  stdout: Readable | null;
  stderr: Readable | null;
}

export function limitOutput(sockets: { stdout: Socket | null; stderr: Socket | null }, limit: number, onExceeded: () => void): LimitedOutput {
  let total = 0;
  let exceeded = false;
  const wrap = (socket: Socket | null): Readable | null => {
    if (!socket) return null;
    const out = new PassThrough();
    socket.on('data', (chunk: Buffer) => {
      if (exceeded) return;
      const room = limit - total;
      total += chunk.length;
      if (chunk.length > room) {
        exceeded = true;
        if (room > 0) out.write(chunk.subarray(0, room));
        onExceeded();
        return;
      }
      // Backpressure: a slow reader pauses the pipe, and so the payload, instead of growing a buffer.
      if (!out.write(chunk)) {
        socket.pause();
        out.once('drain', () => socket.resume());
      }
    });
    socket.on('close', () => out.end());
    socket.on('error', (error) => out.destroy(error));
    return out;
  };
  return { stdout: wrap(sockets.stdout), stderr: wrap(sockets.stderr) };
}
