import type { ScenarioResult } from './chaos.runner';

const COLUMNS: [string, (r: ScenarioResult) => string | number][] = [
  ['scenario', (r) => r.name],
  ['ok', (r) => (r.passed ? 'yes' : 'NO')],
  ['seed', (r) => r.seed],
  ['acked', (r) => r.acked],
  ['expected', (r) => r.expected],
  ['lost', (r) => r.lost],
  ['dup', (r) => r.duplicated],
  ['reord', (r) => r.reordered],
  ['unexp', (r) => r.unexpected],
  ['unacked-dlv', (r) => r.unackedDelivered],
  ['reloads', (r) => r.reloads],
  ['reconn', (r) => r.reconnects],
  ['reconn p50/p99 ms', (r) => `${r.reconnectP50}/${r.reconnectP99}`],
  ['latency p50/p99/max ms', (r) => `${r.latencyP50}/${r.latencyP99}/${r.latencyMax}`],
  ['crashes', (r) => r.crashes.length],
  ['peak RSS MB', (r) => r.peakRssMb],
  ['s', (r) => r.durationS],
  ['notes', (r) => Object.entries(r.notes).map(([k, v]) => `${k}=${v}`).join(' ')],
];

/** A Markdown table, one row per scenario. */
export function formatTable(results: readonly ScenarioResult[], header: boolean): string {
  const lines = results.map((r) => `| ${COLUMNS.map(([, get]) => String(get(r))).join(' | ')} |`);
  if (header) lines.unshift(`| ${COLUMNS.map(([name]) => name).join(' | ')} |`, `|${COLUMNS.map(() => '---').join('|')}|`);
  return lines.join('\n');
}
