import { check, missing, type Verdict } from './chaos.checker';
import { ChaosClient } from './chaos.client';
import { ChaosEnvironment } from './chaos-environment';
import { ChaosProducer } from './chaos.producer';
import { prng, sleep, waitFor } from './chaos.util';
import type { Workload, WorkloadContext, WorkloadVerdict } from './chaos.workload';
import { FaultProxy } from '@taskdash/testkit';
import { checkWire, wireFailures, type WireVerdict } from './wire.checker';
import type { RecoveryFailure } from '../packages/contract/src';

/** Sizes of a run: `full` is the size, `ci` the reduced one. */
export interface ChaosSize {
  full: boolean;
  streams: number;
  clients: number;
  streamsPerClient: number;
  events: number;
  workers: number;
  perWorkerRate: number;
  fuzzCases: number;
  churnCycles: number;
  /** How long the soak runs (`--soak` makes it 30 minutes), and how often it kills pub/sub. */
  soakMs: number;
  soakKillEveryMs: number;
  /** Queue bridge scenarios: simulated jobs queued per second while the fault runs, and at least this many. */
  jobsPerSecond: number;
  minJobs: number;
  /** Agent executions running at once when a node is drained or killed. */
  executions: number;
  /** How long the run waits for clients to catch up before judging. @default 45 s (full: 120 s) */
  catchUpMs?: number;
}

export const CI_SIZE: ChaosSize = { full: false, streams: 10, clients: 20, streamsPerClient: 3, events: 800, workers: 4, perWorkerRate: 60, fuzzCases: 1500, churnCycles: 500, soakMs: 6000, soakKillEveryMs: 2000, jobsPerSecond: 4, minJobs: 20, executions: 8 };
export const FULL_SIZE: ChaosSize = { full: true, streams: 100, clients: 200, streamsPerClient: 5, events: 100_000, workers: 24, perWorkerRate: 80, fuzzCases: 10_000, churnCycles: 100_000, soakMs: 60_000, soakKillEveryMs: 20_000, jobsPerSecond: 20, minJobs: 400, executions: 50 };

/**
 * The slowest acknowledgement rate a run accepts, in events/s. The HTTP path (several
 * statements and a commit per change) acknowledges ~200 events/s on two cores with 200
 * clients attached, far below what the producer offers; a fixed wait cut full runs short.
 */
const SLOWEST_PRODUCER_RATE = 50;
const producerBudgetMs = (events: number): number => (events / SLOWEST_PRODUCER_RATE) * 1000 + 120_000;

export interface FaultContext {
  env: ChaosEnvironment;
  size: ChaosSize;
  random: () => number;
  /** The full-size duration, or the CI one. */
  ms: (full: number, ci: number) => number;
  /** The throttled proxy of the slow client (slow-client scenario only). */
  slow?: FaultProxy;
  /** The task producer, to hold it still while a scenario measures a quiet node. */
  producer: Pick<ChaosProducer, 'pause' | 'resume'>;
  /** Figures a scenario adds to its row. */
  notes: Record<string, number | string>;
  /** The task streams the producer writes and the clients watch. */
  streams: readonly string[];
}

export interface Scenario {
  name: string;
  /** Settings of both nodes (a function when they follow the size). */
  env?: Record<string, string> | ((size: ChaosSize) => Record<string, string>);
  /** Bytes of padding per event (a big `description`), to fill buffers. */
  payloadBytes?: number;
  slowClient?: boolean;
  /** Work of its own across the fault (jobs, executions), with its own check. */
  workload?: (ctx: WorkloadContext) => Workload;
  /**
   * The fault makes the server refuse resumption with this reason on purpose: the run then
   * requires clients told so, and judges loss on the wire, where what they were told to
   * reload is allowed.
   */
  expectRefusal?: RecoveryFailure;
  /**
   * `cluster`: the nodes use a three-primary Redis Cluster this scenario starts (REDIS_MODE=cluster,
   * interest-based fan-out over sharded pub/sub) instead of the proxied standalone Redis,
   * which then carries nothing. @default standalone
   */
  redis?: 'standalone' | 'cluster';
  fault(ctx: FaultContext): Promise<void>;
}

export interface ScenarioResult extends Verdict {
  name: string;
  seed: number;
  crashes: string[];
  peakRssMb: number;
  durationS: number;
  notes: Record<string, number | string>;
  /** The raw-wire verdict against the events table (absent when the run never produced). */
  wire?: WireVerdict;
  error?: string;
  passed: boolean;
}

const log = (text: string) => process.stderr.write(`[chaos] ${text}\n`);

/** One scenario, start to finish, on an environment of its own. Every wait is bounded. */
export async function runScenario(scenario: Scenario, size: ChaosSize, seed: number): Promise<ScenarioResult> {
  const started = Date.now();
  const random = prng(seed);
  log(`${scenario.name}: seed ${seed}`);
  const env = await ChaosEnvironment.start(typeof scenario.env === 'function' ? scenario.env(size) : scenario.env, scenario.redis);
  const clients: ChaosClient[] = [];
  const notes: Record<string, number | string> = {};
  let slow: FaultProxy | undefined;
  let producer: ChaosProducer | undefined;
  let workload: Workload | undefined;
  let workloadVerdict: WorkloadVerdict | undefined;
  let error: string | undefined;
  let progress: NodeJS.Timeout | undefined;
  try {
    const token = env.token('chaos');
    const taskIds = await ChaosProducer.createTasks(env.urls[0]!, token, size.streams);
    producer = new ChaosProducer(() => env.urls, token, taskIds, random, scenario.payloadBytes ?? 0);
    const streams = producer.streams;
    for (let i = 0; i < size.clients; i++) {
      const mine = Array.from({ length: size.streamsPerClient }, (_, j) => streams[(i * size.streamsPerClient + j) % streams.length]!);
      clients.push(new ChaosClient(env.urls[i % env.urls.length]!, token, [...new Set(mine)]));
    }
    if (scenario.slowClient) {
      const port = Number(new URL(env.nodes[0]!.backend.url).port);
      slow = await new FaultProxy({ host: '127.0.0.1', port }).start();
      clients.push(new ChaosClient(`http://${slow.url}`, token, streams));
    }
    await withTimeout(Promise.all(clients.map((client) => client.start())), 60_000, 'clients subscribed');
    producer.start(size.workers, size.perWorkerRate);
    const p = producer;
    // A full run takes minutes per scenario: say how far it is.
    progress = size.full ? setInterval(() => log(`${scenario.name}: ${p.acked.size} of ${size.events} events acknowledged`), 60_000) : undefined;
    const crashed = () => (env.crashes.length > 0 ? `${env.crashes.length} process(es) crashed` : undefined);
    await waitFor(() => p.acked.size >= size.events / 4, producerBudgetMs(size.events / 4), 'a quarter of the events', 50, crashed);
    // Right before the fault, so that the fault finds the workload mid-run.
    workload = scenario.workload?.({ env, size, random, notes });
    await workload?.start();
    const ctx: FaultContext = { env, size, random, ms: (full, ci) => (size.full ? full : ci), slow, producer: p, notes, streams };
    const faultStart = Date.now();
    await scenario.fault(ctx);
    notes.faultS = Math.round((Date.now() - faultStart) / 100) / 10;
    const minEnd = Date.now() + 1000;
    await waitFor(() => p.acked.size >= size.events && Date.now() >= minEnd, producerBudgetMs(size.events), 'all events acknowledged', 50, crashed);
    await producer.stop();
    clearInterval(progress);
    notes.httpFailures = producer.failures;
    // After a refusal the producer's events before the new position never arrive: wait for the wire instead.
    const caughtUp = scenario.expectRefusal ? async () => (await wireVerdict(env, streams, clients)).lost === 0 : () => missing(p, clients) === 0;
    await waitFor(caughtUp, size.catchUpMs ?? (size.full ? 120_000 : 45_000), 'clients caught up').catch((e: Error) => log(e.message));
    workloadVerdict = await workload?.finish();
  } catch (e) {
    error = e instanceof Error ? e.message : String(e);
    log(`${scenario.name}: ${error}`);
    await producer?.stop();
  }
  clearInterval(progress);
  await workload?.close().catch((e: Error) => log(`${scenario.name}: closing the workload: ${e.message}`));
  const verdict = producer ? check(producer, clients) : check(new ChaosProducer(() => [], '', [], random, 0), []);
  if (workloadVerdict) addVerdict(verdict, workloadVerdict, notes);
  // The raw wire against the events table: below RealtimeClient's de-duplication, every
  // stored event (acknowledged or not) owed to every subscribed client.
  let wireResult: WireVerdict | undefined;
  if (producer) {
    const wire = await wireVerdict(env, producer.streams, clients).catch((e: Error) => e);
    if (!(wire instanceof Error)) wireResult = wire;
    if (wire instanceof Error) {
      notes.failed = notes.failed === undefined ? `wire check: ${wire.message}` : `${notes.failed}; wire check: ${wire.message}`;
    } else {
      notes.wire = describeWire(wire);
      if (scenario.expectRefusal) judgeRefusal(scenario.expectRefusal, verdict, wire, clients, notes);
      if (wireFailures(wire) > 0) {
        notes.failed = notes.failed === undefined ? `wire: ${notes.wire}` : `${notes.failed}; wire: ${notes.wire}`;
        verdict.examples.push(...wire.examples.slice(0, Math.max(0, 20 - verdict.examples.length)));
      }
    }
  }
  const crashes = [...env.crashes];
  const peakRssMb = env.peakRssMb;
  clients.forEach((client) => client.close());
  await slow?.close();
  await env.close();
  const passed =
    !error && verdict.lost === 0 && verdict.duplicated === 0 && verdict.reordered === 0 && verdict.unexpected === 0 && crashes.length === 0 && notes.failed === undefined;
  return { name: scenario.name, seed, ...verdict, crashes, peakRssMb, durationS: Math.round((Date.now() - started) / 1000), notes, wire: wireResult, error, passed };
}

async function wireVerdict(env: ChaosEnvironment, streams: readonly string[], clients: readonly ChaosClient[]): Promise<WireVerdict> {
  const stored = await env.database.everStored(streams);
  return checkWire(stored, clients.map((client) => ({ streams: client.streams, startSeq: client.startSeq, connections: client.tap.connections })));
}

/** A refusal scenario passes when clients were told the reason and the wire lost nothing else. */
function judgeRefusal(reason: RecoveryFailure, verdict: Verdict, wire: WireVerdict, clients: readonly ChaosClient[], notes: Record<string, number | string>): void {
  const told = clients.flatMap((client) => client.reloads).filter((reload) => reload.endsWith(`:${reason}`)).length;
  notes.refused = told;
  notes.producerMissed = verdict.lost;
  verdict.lost = wire.lost;
  if (told === 0) notes.failed = `no client was told ${reason}`;
  else if (wire.reloaded === 0) notes.failed = `told ${reason}, but nothing was missing`;
}

const describeWire = (w: WireVerdict): string =>
  `events=${w.events} conns=${w.connections} dup=${w.duplicated} reord=${w.reordered} gaps=${w.gaps} replay=${w.replayMismatch} unexp=${w.unexpected} mismatch=${w.mismatched} afterRevoke=${w.afterRevoke} lost=${w.lost} reloaded=${w.reloaded}`;

/** The workload's figures count like the producer's: one row per scenario. */
function addVerdict(verdict: Verdict, extra: WorkloadVerdict, notes: Record<string, number | string>): void {
  verdict.expected += extra.expected;
  verdict.delivered += extra.delivered;
  verdict.lost += extra.lost;
  verdict.duplicated += extra.duplicated;
  verdict.reordered += extra.reordered;
  verdict.unexpected += extra.unexpected;
  verdict.reloads += extra.reloads;
  verdict.examples.push(...extra.examples.slice(0, Math.max(0, 20 - verdict.examples.length)));
  if (extra.failed) notes.failed = notes.failed === undefined ? extra.failed : `${notes.failed}; ${extra.failed}`;
}

async function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

export { sleep };
