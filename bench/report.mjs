// Turns the workers' raw results into ratios, target checks and a plain-text table.
import { ratio } from './stats.mjs';

export const hostLabel = (mb) => (mb >= 1024 ? `${+(mb / 1024).toFixed(2)} GB` : `${mb} MB`);
const ms = (v) => (Number.isFinite(v) ? v.toFixed(2) : '-');
const x = (v) => (v == null ? '-' : `${v.toFixed(2)}x`);
const signedMs = (v) => (Number.isFinite(v) ? `${v >= 0 ? '+' : ''}${v.toFixed(2)}` : '-');
const diff = (a, b) => (Number.isFinite(a) && Number.isFinite(b) ? a - b : null);
/** The target for what cgroup limits may add to a run, in ms of median. */
export const LIMITS_COST_TARGET_MS = 0.3;
const PATTERN_LABEL = (r) => (r.gapMs ? `spaced ${r.gapMs}ms` : 'back-to-back');
const patternLabel = (hosts, name) => { for (const h of hosts) for (const r of h.results) if (r.pattern === name) return PATTERN_LABEL(r); return name; };

function find(host, pattern, variant) {
  return host.results.find((r) => r.pattern === pattern && r.variant === variant);
}

/** Ratios and target checks computed from the per-host results. */
export function analyze(hosts) {
  const patterns = [...new Set(hosts.flatMap((h) => h.results.map((r) => r.pattern)))];
  const ratios = [];
  const targets = [];
  for (const host of hosts) {
    for (const pattern of patterns) {
      const ns = find(host, pattern, 'nsbox');
      const nl = find(host, pattern, 'nsbox+limits');
      const nf = find(host, pattern, 'nsbox-seccomp');
      const bw = find(host, pattern, 'bubblewrap');
      const cp = find(host, pattern, 'child_process');
      const wm = find(host, pattern, 'warm');
      const wl = find(host, pattern, 'warm+limits');
      if (!ns) continue;
      const where = `${hostLabel(host.targetRssMb)}, ${patternLabel(hosts, pattern)}`;
      ratios.push({
        host: host.targetRssMb,
        pattern,
        nsboxOverBwrap: { median: ratio(ns.medianMs, bw?.medianMs), p90: ratio(ns.p90Ms, bw?.p90Ms) },
        nsboxOverChildProcess: { median: ratio(ns.medianMs, cp?.medianMs), p90: ratio(ns.p90Ms, cp?.p90Ms) },
        warmOverChildProcess: wm ? { median: ratio(wm.medianMs, cp?.medianMs), p90: ratio(wm.p90Ms, cp?.p90Ms) } : null,
        warmLimitsOverChildProcess: wl ? { median: ratio(wl.medianMs, cp?.medianMs), p90: ratio(wl.p90Ms, cp?.p90Ms) } : null,
        // null when nsbox+limits was skipped (no usable cgroups)
        limitsOverBwrap: nl ? { median: ratio(nl.medianMs, bw?.medianMs), p90: ratio(nl.p90Ms, bw?.p90Ms) } : null,
        // limits cost = nsbox+limits median - nsbox median (and the same for p90), ms
        limitsCostMs: nl ? { median: diff(nl.medianMs, ns.medianMs), p90: diff(nl.p90Ms, ns.p90Ms) } : null,
      });
      if (bw) {
        targets.push({
          name: `nsbox median <= bubblewrap median (${where})`,
          value: `${ms(ns.medianMs)} vs ${ms(bw.medianMs)} ms`,
          pass: ns.medianMs <= bw.medianMs,
        });
      }
      if (wm && cp) {
        targets.push({
          name: `warm median <= 0.5x child_process median (${where})`,
          value: `${ms(wm.medianMs)} vs ${ms(cp.medianMs)} ms = ${ratio(wm.medianMs, cp.medianMs)?.toFixed(2)}x`,
          pass: wm.medianMs <= cp.medianMs * 0.5,
        });
      }
      if (wl && cp) {
        targets.push({
          name: `warm+limits median <= 0.5x child_process median (${where})`,
          value: `${ms(wl.medianMs)} vs ${ms(cp.medianMs)} ms = ${ratio(wl.medianMs, cp.medianMs)?.toFixed(2)}x`,
          pass: wl.medianMs <= cp.medianMs * 0.5,
        });
      }
      if (nf) {
        targets.push({
          name: `default seccomp filter within 5% of none (${where})`,
          value: `nsbox ${ms(ns.medianMs)} / nsbox-seccomp ${ms(nf.medianMs)} = ${ratio(ns.medianMs, nf.medianMs)?.toFixed(3)}x`,
          pass: ns.medianMs <= nf.medianMs * 1.05,
        });
      }
      if (nl) {
        const cost = nl.medianMs - ns.medianMs;
        targets.push({
          name: `limits add <= ${LIMITS_COST_TARGET_MS} ms per run (${where})`,
          value: `nsbox+limits ${ms(nl.medianMs)} - nsbox ${ms(ns.medianMs)} = ${signedMs(cost)} ms`,
          pass: cost <= LIMITS_COST_TARGET_MS,
        });
        if (bw) {
          targets.push({
            name: `nsbox+limits median <= bubblewrap median (${where})`,
            value: `${ms(nl.medianMs)} vs ${ms(bw.medianMs)} ms`,
            pass: nl.medianMs <= bw.medianMs,
          });
        }
      }
    }
  }
  const scaling = [];
  if (hosts.length >= 2) {
    const sorted = [...hosts].sort((a, b) => a.targetRssMb - b.targetRssMb);
    const [small, big] = [sorted[0], sorted[sorted.length - 1]];
    for (const pattern of patterns) {
      const a = find(small, pattern, 'nsbox');
      const b = find(big, pattern, 'nsbox');
      if (!a || !b) continue;
      const entry = {
        pattern,
        small: small.targetRssMb,
        big: big.targetRssMb,
        median: ratio(b.medianMs, a.medianMs),
        p90: ratio(b.p90Ms, a.p90Ms),
      };
      // the same ratio for the baselines, to tell nsbox's own cost from the host's fork/exec cost
      for (const v of ['nsbox+limits', 'bubblewrap', 'child_process']) {
        const va = find(small, pattern, v);
        const vb = find(big, pattern, v);
        if (va && vb) entry[`${v === 'nsbox+limits' ? 'nsboxLimits' : v}Median`] = ratio(vb.medianMs, va.medianMs);
      }
      scaling.push(entry);
      targets.push({
        name: `nsbox ${hostLabel(big.targetRssMb)} / ${hostLabel(small.targetRssMb)} median <= 1.15x (${patternLabel(hosts, pattern)})`,
        value: x(entry.median),
        pass: entry.median != null && entry.median <= 1.15,
      });
    }
  }
  return { ratios, scaling, targets };
}

function table(rows, align) {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => String(r[i]).length)));
  return rows
    .map((r) => r.map((c, i) => (align[i] === 'r' ? String(c).padStart(widths[i]) : String(c).padEnd(widths[i]))).join('  ').trimEnd())
    .join('\n');
}

export function formatReport({ meta, options, hosts, analysis }) {
  const out = [];
  out.push(`nsbox spawn benchmark: /bin/true, ${meta.node}, Linux ${meta.kernel}, ${meta.cpus} x ${meta.cpuModel}, ${meta.bwrapVersion}`);
  out.push(
    `back-to-back: ${options.runs} runs; spaced: ${options.spacedRuns} runs with ${options.gapMs} ms idle before each; ` +
      `interleaved in ${options.rounds} rounds (hosts alternate, variants rotate), ` +
      `${options.warmup} untimed warm-up runs before every block; times are per run (performance.now around each awaited run)`,
  );
  const load = (l) => l.map((v) => v.toFixed(2)).join(' ');
  out.push(`load average at start ${load(meta.loadavgAtStart)}, at end ${load(meta.loadavgAtEnd)}`);
  // the bench itself keeps about one CPU busy, so the end figure gets one extra unit of slack
  if (meta.loadavgAtStart[0] > 0.5 || meta.loadavgAtEnd[0] > 1.5) {
    out.push('WARNING: other work was running on this machine (1-min load > 0.5 at start or > 1.5 at end); it skews these numbers, spaced runs most');
  }
  const limits = Object.entries(meta.limits ?? {}).map(([k, v]) => `${k} ${v}`).join(', ');
  const cg = (meta.limitsCgroup ?? []).find(Boolean);
  if (cg) out.push(`nsbox+limits: a second Sandbox with limits { ${limits} }, enforced by a cgroup v${cg.version}`);
  for (const s of meta.skipped ?? []) out.push(s.host === undefined ? `${s.variant} skipped: ${s.message}` : `${s.variant} skipped on the ${hostLabel(s.host)} host: ${s.message}`);
  out.push('');

  const rows = [['host RSS', 'pattern', 'variant', 'median ms', 'p90 ms', 'min ms', 'runs']];
  for (const host of hosts) {
    const label = `~${hostLabel(host.targetRssMb)} (rss ${host.rssAfterAllocMb.toFixed(0)} MB)`;
    let first = true;
    let lastPattern = null;
    for (const r of host.results) {
      const pat = PATTERN_LABEL(r);
      rows.push([first ? label : '', pat !== lastPattern ? pat : '', r.variant, ms(r.medianMs), ms(r.p90Ms), ms(r.minMs), r.runs]);
      first = false;
      lastPattern = pat;
    }
  }
  out.push(table(rows, ['l', 'l', 'l', 'r', 'r', 'r', 'r']));
  out.push('');

  const rrows = [['host RSS', 'pattern', 'nsbox/bwrap median', '(p90)', 'nsbox/child_process median', '(p90)', 'warm/child_process', 'warm+limits/child_process']];
  for (const r of analysis.ratios) {
    rrows.push([hostLabel(r.host), patternLabel(hosts, r.pattern), x(r.nsboxOverBwrap.median), x(r.nsboxOverBwrap.p90), x(r.nsboxOverChildProcess.median), x(r.nsboxOverChildProcess.p90),
      x(r.warmOverChildProcess?.median), x(r.warmLimitsOverChildProcess?.median)]);
  }
  out.push(table(rrows, ['l', 'l', 'r', 'r', 'r', 'r', 'r', 'r']));
  out.push('');

  if (analysis.ratios.some((r) => r.limitsCostMs)) {
    const lrows = [['host RSS', 'pattern', 'limits cost = nsbox+limits median - nsbox median (ms)', '(p90 - p90)', 'nsbox+limits/bwrap median', '(p90)']];
    for (const r of analysis.ratios.filter((r) => r.limitsCostMs)) {
      lrows.push([hostLabel(r.host), patternLabel(hosts, r.pattern), signedMs(r.limitsCostMs.median), signedMs(r.limitsCostMs.p90), x(r.limitsOverBwrap.median), x(r.limitsOverBwrap.p90)]);
    }
    out.push(table(lrows, ['l', 'l', 'r', 'r', 'r', 'r']));
    out.push('');
  }

  if (analysis.scaling.length) {
    const s0 = analysis.scaling[0];
    const withLimits = analysis.scaling.some((s) => s.nsboxLimitsMedian != null);
    const srows = [['pattern', `nsbox ${hostLabel(s0.big)}/${hostLabel(s0.small)} median`, '(p90)', ...(withLimits ? ['nsbox+limits (median)'] : []), 'bwrap (median)', 'child_process (median)']];
    for (const s of analysis.scaling) {
      srows.push([patternLabel(hosts, s.pattern), x(s.median), x(s.p90), ...(withLimits ? [x(s.nsboxLimitsMedian)] : []), x(s.bubblewrapMedian), x(s.child_processMedian)]);
    }
    out.push(table(srows, ['l', 'r', 'r', ...(withLimits ? ['r'] : []), 'r', 'r']));
    out.push('');
  }

  if (options.profileSteps) {
    const prows = [['host RSS', 'pattern', 'variant', 'total', 'setupMs (spawn->execve)', 'wallTimeMs (execve->exit)', 'rest (exit->resolved)']];
    for (const host of hosts) {
      for (const r of host.results.filter((r) => (r.variant.startsWith('nsbox') || r.variant.startsWith('warm')) && r.steps)) {
        const rest = r.medianMs - r.steps.setupMedianMs - r.steps.wallTimeMedianMs;
        prows.push([hostLabel(host.targetRssMb), PATTERN_LABEL(r), r.variant, ms(r.medianMs), ms(r.steps.setupMedianMs), ms(r.steps.wallTimeMedianMs), `~${ms(rest)}`]);
      }
    }
    out.push('nsbox RunReport step medians, ms ("rest" = total median - the two step medians, approximate):');
    out.push(table(prows, ['l', 'l', 'l', 'r', 'r', 'r', 'r']));
    out.push('');
  }

  out.push('targets (from the issue):');
  for (const t of analysis.targets) out.push(`  [${t.pass ? 'PASS' : 'FAIL'}] ${t.name}: ${t.value}`);
  return out.join('\n');
}
