import { ago, bytes, h, replaceChildren } from '../dom.util';
import type { LiveSession } from '../live/live-session';
import type { QueueOverview } from '../state/job-board.store';
import type { AlertView, NodeHealth } from '../state/system.store';
import { progressBar } from './progress.view';

/** For operators: each node's health, the alerts with acknowledge, and the queue overview. */
export function opsView(live: LiveSession): { element: HTMLElement; dispose: () => void } {
  const health = h('div', { class: 'cards', 'data-testid': 'health' });
  const alerts = h('ul', { class: 'alerts', 'data-testid': 'alerts' });
  const queues = h('div', { 'data-testid': 'queues' });
  const error = h('p', { class: 'error', role: 'alert' });
  const acknowledge = (fingerprint: string) =>
    void live.api.acknowledgeAlert(fingerprint).then(() => (error.textContent = ''), (e: Error) => (error.textContent = e.message));

  const render = () => {
    const nodes = live.system.nodeHealth();
    replaceChildren(health, ...nodes.map(nodeCard),
      nodes.length === 0 ? h('p', { class: 'muted' }, 'Waiting for the first health sample…') : null);
    const list = live.system.alertList();
    replaceChildren(alerts, ...list.map((alert) => alertRow(alert, acknowledge)),
      list.length === 0 ? h('li', { class: 'muted' }, 'No alerts. All quiet.') : null);
    const overviews = live.jobs.overview();
    const jobs = live.jobs.list((job) => job.state !== 'completed' || Date.now() - Date.parse(job.updatedAt) < 60_000).slice(0, 20);
    replaceChildren(queues, ...overviews.map(queueCard),
      overviews.length === 0 ? h('p', { class: 'muted' }, 'No queue overview yet (queues need Redis).') : null,
      h('div', { class: 'jobs' }, ...jobs.map(progressBar)));
  };
  const offs = [live.system.listen(render), live.jobs.listen(render)];
  const clock = setInterval(render, 5000);
  render();
  const element = h('div', { class: 'ops' },
    h('section', { class: 'panel' }, h('h2', {}, 'System health'), health),
    h('section', { class: 'panel' }, h('h2', {}, 'Alerts'), error, alerts),
    h('section', { class: 'panel' }, h('h2', {}, 'Queues'), queues));
  return { element, dispose: () => { offs.forEach((off) => off()); clearInterval(clock); } };
}

function nodeCard(node: NodeHealth): HTMLElement {
  const probe = (p: { ok: boolean; rttMs?: number | undefined } | undefined) =>
    p === undefined ? 'not used' : p.ok ? `${p.rttMs?.toFixed(1) ?? '?'} ms` : 'DOWN';
  const rows: Array<[string, string]> = [
    ['event loop p99', `${node.eventLoop.lagP99Ms.toFixed(1)} ms (max ${node.eventLoop.lagMaxMs.toFixed(0)})`],
    ['loop utilisation', `${(node.eventLoop.utilization * 100).toFixed(0)}%`],
    ['cpu', `${node.cpu.percent.toFixed(0)}%`],
    ['heap / rss', `${bytes(node.memory.heapUsedBytes)} / ${bytes(node.memory.rssBytes)}`],
    ['sockets', String(node.sockets)],
    ['publish backlog', String(node.publishBacklog)],
    ['postgres', probe(node.postgres)],
    ['redis', probe(node.redis)],
    ...node.queues.map((q): [string, string] => [`queue ${q.queue}`, `${q.waiting} waiting · ${q.active} active · ${q.failed} failed`]),
  ];
  return h('div', { class: 'card', 'data-testid': 'node-health' },
    h('h3', {}, node.nodeId, h('span', { class: 'muted small' }, ` ${ago(node.at)}`)),
    h('dl', {}, ...rows.flatMap(([k, v]) => [h('dt', {}, k), h('dd', {}, v)])));
}

function alertRow(alert: AlertView, acknowledge: (fingerprint: string) => void): HTMLElement {
  const acked = alert.acknowledgedBy !== null;
  return h('li', { class: `alert ${alert.state} severity-${alert.severity}`, 'data-testid': 'alert', 'data-state': alert.state, 'data-fingerprint': alert.fingerprint },
    h('span', { class: 'badge' }, alert.state === 'firing' ? alert.severity : 'resolved'), ' ',
    h('strong', {}, alert.alertname), ' ', alert.summary,
    h('div', { class: 'muted small' },
      `since ${ago(alert.startsAt)}`,
      alert.resolvedAt ? ` · resolved ${ago(alert.resolvedAt)}` : '',
      acked ? ` · acknowledged by ${alert.acknowledgedBy}` : ''),
    alert.state === 'firing' && !acked
      ? h('button', { onclick: () => acknowledge(alert.fingerprint), 'data-testid': 'ack' }, 'Acknowledge')
      : null);
}

function queueCard(q: QueueOverview): HTMLElement {
  const c = q.counts;
  return h('div', { class: 'card', 'data-testid': 'queue-overview' },
    h('h3', {}, `queue ${q.queue}`, h('span', { class: 'muted small' }, ` ${ago(q.at)}`)),
    h('dl', {},
      h('dt', {}, 'jobs'), h('dd', {}, `${c.waiting} waiting · ${c.active} active · ${c.delayed} delayed · ${c.completed} done · ${c.failed} failed`),
      h('dt', {}, 'throughput'), h('dd', {}, `${q.completedPerSec.toFixed(2)}/s done · ${q.failedPerSec.toFixed(2)}/s failed`),
      q.durationMs ? h('dt', {}, 'duration') : null,
      q.durationMs ? h('dd', {}, `avg ${(q.durationMs.avg / 1000).toFixed(1)} s · p95 ${(q.durationMs.p95 / 1000).toFixed(1)} s`) : null));
}
