// The payload runs in its own session, so a terminal's Ctrl-C reaches only the CLI: pass it on.
import type { SandboxChild } from '../child.js';

const FORWARDED: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

export interface SignalForwarder {
  /** Start delivering to `child`, including any signal that arrived before it existed. */
  attach(child: SandboxChild): void;
  stop(): void;
}

/**
 * Catches the signals from now on (before the sandbox is spawned, so none can kill the CLI in
 * between) and forwards them once a child is attached.
 */
export function forwardSignals(): SignalForwarder {
  let target: SandboxChild | undefined;
  const early: NodeJS.Signals[] = [];
  const deliver = (signal: NodeJS.Signals) => {
    try {
      target!.kill(signal);
    } catch {
      // The sandbox is already gone; its report is on the way.
    }
  };
  const handlers = FORWARDED.map((signal) => {
    const handler = () => (target ? deliver(signal) : early.push(signal));
    process.on(signal, handler);
    return [signal, handler] as const;
  });
  return {
    attach(child) {
      target = child;
      for (const signal of early.splice(0)) deliver(signal);
    },
    stop() {
      for (const [signal, handler] of handlers) process.off(signal, handler);
    },
  };
}
