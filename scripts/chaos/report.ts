import type { ChaosReport } from './run.ts';

/** The run's figures, and the verdict line `lost N · double N · mismatch N · unverified N` with the seed. */
export function formatReport(report: ChaosReport): string {
  const r = report.result;
  const faults = Object.entries(report.faults)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, n]) => `${k} ×${n}`)
    .join(', ');
  return [
    `chaos run: seed ${report.seed}, log ${report.log}, ${report.windowMs / 60_000} min, ${report.elections} elections`,
    `votes attempted ${report.attempted} · acknowledged ${report.acknowledged} · failed ${report.failed} · unknown ${report.unknown}` +
      ` · counted ${report.counted} (skipped at the in-flight cap: ${report.skippedInFlight})`,
    `SSE events observed ${report.sseEvents}`,
    `faults injected (${Object.values(report.faults).reduce((a, b) => a + b, 0)}): ${faults || 'none'}`,
    `longest time without an acknowledged vote while an election was open: ${(report.longestAckGap.ms / 1000).toFixed(1)} s` +
      ` (from ${report.longestAckGap.from} ms; last fault before it: ${report.longestAckGap.fault})`,
    ...r.notes.slice(0, 20),
    ...r.problems.slice(0, 50),
    ...(r.problems.length > 50 ? [`… and ${r.problems.length - 50} more`] : []),
    `lost ${r.lost} · double ${r.double} · mismatch ${r.mismatch} · unverified ${r.unverified} · seed ${report.seed}`,
  ].join('\n');
}
