// Parent side of one measuring host (bench/worker.mjs): fork it, wait until it holds its RSS,
// then send it blocks to time, one at a time.
import { fork } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const workerPath = join(dirname(fileURLToPath(import.meta.url)), 'worker.mjs');

export class Host {
  static async start(sizeMb) {
    const host = new Host(sizeMb);
    host.info = await host.#next('ready');
    return host;
  }

  constructor(sizeMb) {
    this.sizeMb = sizeMb;
    this.pending = null;
    this.nextId = 0;
    this.child = fork(workerPath, [String(sizeMb)], {
      execArgv: ['--max-old-space-size=4096', '--expose-gc'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    this.child.on('message', (msg) => {
      const p = this.pending;
      this.pending = null;
      if (!p) return;
      if (msg.type === 'error') p.reject(new Error(`host ${sizeMb} MB: ${msg.message}`));
      else if (msg.type !== p.type) p.reject(new Error(`host ${sizeMb} MB: expected ${p.type}, got ${msg.type}`));
      else p.resolve(msg);
    });
    this.child.on('exit', (code, signal) => {
      if (this.pending) this.pending.reject(new Error(`host ${sizeMb} MB exited (code ${code}, signal ${signal})`));
      this.pending = null;
    });
    this.child.on('error', (err) => this.pending?.reject(err));
  }

  #next(type) {
    return new Promise((resolve, reject) => (this.pending = { type, resolve, reject }));
  }

  /** { variant, runs, warmup, gapMs } -> { timesMs, setupMs, wallTimeMs } */
  runBlock(spec) {
    const reply = this.#next('result');
    this.child.send({ type: 'block', id: this.nextId++, ...spec });
    return reply;
  }

  async stop() {
    const reply = this.#next('bye');
    this.child.send({ type: 'done' });
    return reply;
  }

  kill() {
    this.child.kill('SIGKILL');
  }
}
