#!/usr/bin/env node
// `npm run bench`: time sandbox.run('/bin/true') against bubblewrap and a plain child_process.spawn,
// back to back and spaced, from a small (~50 MB RSS) and a large (~2 GB RSS) Node host.
// Each host size is a separate child Node process (bench/worker.mjs); this process only orchestrates,
// prints the table and writes the full JSON to bench/results/latest.json.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { cpus, release } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseOptions, USAGE } from './options.mjs';
import { analyze, formatReport, hostLabel } from './report.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '..');

function fail(message) {
  process.stderr.write(`bench: ${message}\n`);
  process.exit(1);
}

let options;
try {
  options = parseOptions();
} catch (err) {
  fail(err.message);
}
if (options.help) {
  console.log(USAGE);
  process.exit(0);
}

// Preflight: the built library, its init, and bwrap.
if (!existsSync(join(root, 'dist/index.js'))) fail('dist/index.js is missing: run `npm run build` (or ./node_modules/.bin/tsup) first');
if (!existsSync(join(root, 'build/nsbox-init'))) fail('build/nsbox-init is missing: run `node scripts/build-native.mjs` first');
const bw = spawnSync('bwrap', ['--version'], { encoding: 'utf8' });
if (bw.error || bw.status !== 0) fail('bwrap not found: install bubblewrap (e.g. `apt-get install -y bubblewrap`)');

function runWorker(sizeMb) {
  return new Promise((resolvePromise, reject) => {
    const workerOpts = { runs: options.runs, spacedRuns: options.spacedRuns, warmup: options.warmup, gapMs: options.gapMs };
    const child = spawn(
      process.execPath,
      ['--max-old-space-size=4096', '--expose-gc', join(here, 'worker.mjs'), String(sizeMb), JSON.stringify(workerOpts)],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    let stdout = '';
    child.stdout.setEncoding('utf8').on('data', (d) => (stdout += d));
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      if (code !== 0) return reject(new Error(`worker for ${hostLabel(sizeMb)} host failed (code ${code}, signal ${signal})`));
      try {
        resolvePromise(JSON.parse(stdout.trim().split('\n').pop()));
      } catch (err) {
        reject(new Error(`worker for ${hostLabel(sizeMb)} host printed no JSON: ${err.message}`));
      }
    });
  });
}

const started = performance.now();
process.stderr.write(
  `bench: ${options.quick ? 'quick, ' : ''}hosts ${options.sizes.map(hostLabel).join(' + ')}, ` +
    `${options.runs} back-to-back + ${options.spacedRuns} spaced runs per variant\n`,
);
const hosts = [];
for (const size of options.sizes) {
  try {
    hosts.push(await runWorker(size));
  } catch (err) {
    fail(err.message);
  }
}
const durationS = (performance.now() - started) / 1000;

const meta = {
  date: new Date().toISOString(),
  node: process.version,
  kernel: release(),
  cpus: cpus().length,
  cpuModel: cpus()[0]?.model ?? 'unknown',
  bwrapVersion: bw.stdout.trim(),
  euid: process.geteuid?.(),
  durationS,
};
const analysis = analyze(hosts);
const text = formatReport({ meta, options, hosts, analysis });
console.log('');
console.log(text);
console.log(`\ntotal bench time ${durationS.toFixed(1)} s`);

const outFile = options.out ? resolve(options.out) : join(here, 'results', 'latest.json');
mkdirSync(dirname(outFile), { recursive: true });
writeFileSync(outFile, JSON.stringify({ meta, options, analysis, hosts }, null, 2) + '\n');
console.log(`full results (per-run timings included): ${outFile}`);
