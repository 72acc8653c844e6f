// The probe as people read it: one line per check, the fix underneath.
import type { HostReport } from '../probe/index.js';

export function formatDoctorTable(report: HostReport): string {
  const names = report.items.map((item) => (item.ok || item.required ? item.name : `${item.name} (optional)`));
  const width = Math.max(...names.map((name) => name.length));
  const indent = ' '.repeat(width + 6);
  const lines = [`nsbox doctor: Linux ${report.kernel}, ${report.arch}, Node.js ${report.node}`, ''];
  report.items.forEach((item, i) => {
    lines.push(`  ${item.ok ? '✓' : '✗'} ${names[i].padEnd(width)}  ${item.detail}`);
    if (item.fix) lines.push(`${indent}fix: ${item.fix}`);
  });
  lines.push('', report.summary.text, '');
  return lines.join('\n');
}
