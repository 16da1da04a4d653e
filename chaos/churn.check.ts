import type { FaultContext } from './chaos.runner';
import { churn } from './connection.churn';
import { EXACT, LeakProbe, TIMER_SLACK, type NodeFigures } from './leak.probe';

type NumericFigure = Exclude<keyof NodeFigures, 'emitterTypes' | 'resourceTypes'>;

/** Heap in use after the churn (both readings after a full GC) may exceed the baseline by this much. */
const HEAP_SLACK_MB = 10;
/** Churn cycles before the baseline (one per churn worker). */
const WARM_UP_CYCLES = 20;

/**
 * The leak check of the churn. The task producer holds still while the figures are read, so
 * that only the churn differs between the baseline and the reading after it: the same
 * clients connected, no request in flight, and (after 6 s of quiet, longer than the HTTP
 * keep-alive) no idle HTTP connection left. Connections, subscriptions, rooms, active
 * handles, EventEmitters and their listeners must be back exactly (the database pools
 * apart, see NodeInspector), timers within TIMER_SLACK; heap in use, after a forced full
 * GC, within HEAP_SLACK_MB.
 */
export async function churnAndMeasure({ env, size, notes, producer }: Pick<FaultContext, 'env' | 'size' | 'notes' | 'producer'>): Promise<void> {
  const token = env.token('churner');
  // The churner subscribes to a task of its own.
  const stream = `task:${(await createTask(env.urls[0]!, token)).id}`;
  const probe = await LeakProbe.open(env);
  try {
    // NestJS's gateway keeps the most recently connected socket reachable (an rxjs
    // distinctUntilChanged in @nestjs/websockets remembers it). One round of churn first, so
    // that in the baseline too that socket is a closed one, as it will be after the churn:
    // the check then compares like with like, and anything the churn leaves grows with it.
    const warmUp = await churn(env.urls, token, stream, WARM_UP_CYCLES);
    await producer.pause();
    const before = await probe.settled(6000, 40_000);
    producer.resume();
    const result = await churn(env.urls, token, stream, size.churnCycles);
    const peak = env.nodes.map((node) => env.rss(node));
    await producer.pause();
    const after = await probe.backTo(before, 45_000);
    producer.resume();
    const pair = (key: NumericFigure) => env.nodes.map((_, i) => `${before[i]![key]}>${after[i]![key]}`).join('/');
    Object.assign(notes, { cycles: result.done, cycleFailures: result.failed + warmUp.failed, warmUpCycles: warmUp.done });
    for (const key of [...EXACT, 'timers', 'tracked', 'dbConnections', 'heapUsedMb', 'rssMb'] as const) notes[key] = pair(key);
    notes.rssPeakMb = peak.join('/');
    const off: string[] = EXACT.filter((key) => after.some((figures, i) => figures[key] !== before[i]![key]));
    if (after.some((figures, i) => Math.abs(figures.timers - before[i]!.timers) > TIMER_SLACK)) off.push('timers');
    if (off.length > 0) {
      notes.changes = env.nodes.map((_, i) => LeakProbe.emitterChanges(before[i]!, after[i]!)).join(' / ');
      notes.failed = `not back to baseline: ${off.join(', ')}`;
    }
    if (after.some((figures, i) => figures.heapUsedMb > before[i]!.heapUsedMb + HEAP_SLACK_MB)) notes.failed = `heap not back within ${HEAP_SLACK_MB} MB`;
    if (result.failed > size.churnCycles / 100) notes.failed = `${result.failed} churn cycles failed`;
  } finally {
    producer.resume();
    probe.close();
  }
}

async function createTask(url: string, token: string): Promise<{ id: string }> {
  const response = await fetch(`${url}/tasks`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ title: 'churn' }),
    signal: AbortSignal.timeout(10_000),
  });
  return (await response.json()) as { id: string };
}
