// The payload runs in its own session, so a terminal's Ctrl-C reaches only the CLI: pass it on.
import type { SandboxChild } from '../child.js';

const FORWARDED: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

/** Forwards the signals until the returned function is called. */
export function forwardSignals(child: SandboxChild): () => void {
  const handlers = FORWARDED.map((signal) => {
    const handler = () => {
      try {
        child.kill(signal);
      } catch {
        // The sandbox is already gone; its report is on the way.
      }
    };
    process.on(signal, handler);
    return [signal, handler] as const;
  });
  return () => {
    for (const [signal, handler] of handlers) process.off(signal, handler);
  };
}
