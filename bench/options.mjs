// Command-line / environment options for bench/spawn.mjs. argv wins over env, env over defaults.

export const USAGE = `usage: node bench/spawn.mjs [options]      (npm run bench -- [options])

  --quick             CI smoke run: 50 back-to-back, 10 spaced, 50 MB host only   (env BENCH_QUICK=1)
  --runs N            back-to-back runs per variant (default 300)                 (env BENCH_RUNS)
  --spaced-runs N     spaced runs per variant (default 40)                        (env BENCH_SPACED_RUNS)
  --gap-ms N          idle time before each spaced run (default 100)              (env BENCH_GAP_MS)
  --warmup N          untimed warm-up runs per variant and pattern (default 20)   (env BENCH_WARMUP)
  --rounds N          interleaving rounds the runs are split into (default 5; quick 2) (env BENCH_ROUNDS)
  --sizes A,B         host RSS targets in MB (default 50,2048)                    (env BENCH_SIZES)
  --profile-steps     also print nsbox's own report.setupMs / wallTimeMs medians  (env BENCH_PROFILE_STEPS=1)
  --out FILE          JSON output (default bench/results/latest.json)             (env BENCH_OUT)
  --help`;

function positiveInt(name, value) {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new Error(`${name} must be a non-negative integer, got ${JSON.stringify(value)}`);
  return n;
}

export function parseOptions(argv = process.argv.slice(2), env = process.env) {
  const flag = (v) => v !== undefined && v !== '' && v !== '0' && v !== 'false';
  const raw = {
    quick: flag(env.BENCH_QUICK),
    profileSteps: flag(env.BENCH_PROFILE_STEPS),
    runs: env.BENCH_RUNS,
    spacedRuns: env.BENCH_SPACED_RUNS,
    gapMs: env.BENCH_GAP_MS,
    warmup: env.BENCH_WARMUP,
    sizes: env.BENCH_SIZES,
    rounds: env.BENCH_ROUNDS,
    out: env.BENCH_OUT,
    help: false,
  };
  const valued = { '--runs': 'runs', '--spaced-runs': 'spacedRuns', '--gap-ms': 'gapMs', '--warmup': 'warmup', '--sizes': 'sizes', '--rounds': 'rounds', '--out': 'out' };
  for (let i = 0; i < argv.length; i++) {
    let arg = argv[i];
    let inline;
    if (arg.startsWith('--') && arg.includes('=')) [arg, inline] = [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)];
    if (arg === '--quick') raw.quick = true;
    else if (arg === '--profile-steps') raw.profileSteps = true;
    else if (arg === '--help' || arg === '-h') raw.help = true;
    else if (valued[arg]) {
      const value = inline ?? argv[++i];
      if (value === undefined) throw new Error(`${arg} needs a value`);
      raw[valued[arg]] = value;
    } else throw new Error(`unknown option ${arg}\n${USAGE}`);
  }
  const defaults = raw.quick
    ? { runs: 50, spacedRuns: 10, sizes: [50], rounds: 2 }
    : { runs: 300, spacedRuns: 40, sizes: [50, 2048], rounds: 5 };
  return {
    help: raw.help,
    quick: raw.quick,
    profileSteps: raw.profileSteps,
    runs: raw.runs !== undefined ? positiveInt('--runs', raw.runs) : defaults.runs,
    spacedRuns: raw.spacedRuns !== undefined ? positiveInt('--spaced-runs', raw.spacedRuns) : defaults.spacedRuns,
    gapMs: raw.gapMs !== undefined ? positiveInt('--gap-ms', raw.gapMs) : 100,
    warmup: raw.warmup !== undefined ? positiveInt('--warmup', raw.warmup) : 20,
    sizes: raw.sizes !== undefined ? String(raw.sizes).split(',').map((s) => positiveInt('--sizes', s.trim())) : defaults.sizes,
    rounds: Math.max(1, raw.rounds !== undefined ? positiveInt('--rounds', raw.rounds) : defaults.rounds),
    out: raw.out,
  };
}
