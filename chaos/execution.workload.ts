import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { executionStream } from '../packages/contract/src';
import type { StoredEvent } from './chaos-database';
import type { ChaosEnvironment } from './chaos-environment';
import { ChaosQueue } from './chaos-queue';
import { ChaosClient } from './chaos.client';
import { ChaosProducer } from './chaos.producer';
import { waitFor } from './chaos.util';
import type { Workload, WorkloadContext, WorkloadVerdict } from './chaos.workload';
import { checkStreams, missingDeliveries } from './stream.checker';

/** The profile the scenarios' backends get: `chaos-agent.sh "<lines> <delay>"`. */
export const CHAOS_PROFILE = 'chaos';
export const chaosProfiles = (): string => JSON.stringify({ [CHAOS_PROFILE]: ['/bin/sh', resolve(__dirname, 'chaos-agent.sh'), '{prompt}'] });

export interface ExecutionWorkloadOptions {
  /** Lines each execution prints, one every `delaySec`. */
  lines: number;
  delaySec: number;
  /** Each execution stream is watched by two clients, one on each node; this many streams per client. */
  streamsPerWatcher: number;
}

const expectedOutput = (lines: number) => Array.from({ length: lines }, (_, i) => `chaos-agent line ${i + 1} of ${lines}\n`).join('');

/**
 * `size.executions` agent executions (`chaos-agent.sh`, printing lines for a few seconds)
 * all running at once across the fault. They are queued while the queue is paused and
 * every watcher subscribes before the queue resumes, so each watcher must receive each
 * of its streams whole: the stored events, seq 1..N, each once, in order. Every execution
 * must end with exactly one `execution.finished` (its last event) and a succeeded one must
 * carry exactly the agent's output. Where each one ran is taken from its process's parent.
 */
export class ExecutionWorkload implements Workload {
  private readonly watchers: ChaosClient[] = [];
  private queue: ChaosQueue | undefined;
  private ids: string[] = [];
  /** The node each execution's process ran under. */
  private readonly ranOn = new Map<string, string>();

  constructor(
    private readonly ctx: WorkloadContext,
    private readonly options: ExecutionWorkloadOptions,
  ) {}

  async start(): Promise<void> {
    const { env, size } = this.ctx;
    const token = env.token('chaos-runner');
    const [taskId] = await ChaosProducer.createTasks(env.urls[0]!, token, 1);
    this.queue = new ChaosQueue(env.redis.port, 'chaos');
    await this.queue.pause();
    const prompt = `${this.options.lines} ${this.options.delaySec}`;
    for (let i = 0; i < size.executions; i++) this.ids.push(await startExecution(env.urls[i % env.urls.length]!, token, taskId!, prompt));
    const streams = this.ids.map(executionStream);
    const groups = Math.max(1, Math.ceil(streams.length / this.options.streamsPerWatcher));
    for (let w = 0; w < groups * 2; w++) {
      const mine = streams.filter((_, i) => i % groups === w % groups);
      this.watchers.push(new ChaosClient(env.urls[Math.floor(w / groups) % env.urls.length]!, token, mine, true));
    }
    await Promise.all(this.watchers.map((watcher) => watcher.start()));
    await this.queue.resume();
    const started = async () => [...(await this.stored()).values()].every((events) => events.some((e) => e.type === 'execution.started'));
    await waitFor(started, 60_000, `all ${this.ids.length} executions running`, 200);
    await this.locate();
  }

  async finish(): Promise<WorkloadVerdict> {
    const { size, notes } = this.ctx;
    const bound = this.options.lines * this.options.delaySec * 1000 + (size.full ? 90_000 : 45_000);
    const ended = async () => [...(await this.stored()).values()].every((events) => events.some((e) => e.type === 'execution.finished'));
    await waitFor(ended, bound, 'every execution finished', 250).catch(() => undefined);
    let stored = await this.stored();
    await waitFor(async () => missingDeliveries((stored = await this.stored()), this.watchers) === 0, 30_000, 'watchers caught up', 250).catch(() => undefined);
    const verdict = checkStreams(stored, this.watchers);
    const statuses = await this.ctx.env.database.executionStatuses(this.ids);
    const late = this.watchers.reduce((n, w) => n + [...w.startSeq.values()].filter((seq) => seq !== 0).length, 0);
    const endings = this.ids.map((id) => this.ending(id, stored.get(executionStream(id))!, statuses.get(id)));
    const count = (what: string) => endings.filter((e) => e.kind === what).length;
    const unfinished = endings.filter((e) => e.kind === 'unfinished');
    const byStatus = new Map<string, number>();
    for (const e of endings) if (e.status) byStatus.set(e.status, (byStatus.get(e.status) ?? 0) + 1);
    Object.assign(notes, {
      executions: this.ids.length,
      ranOn: this.placement(),
      ended: [...byStatus].map(([status, n]) => `${status}:${n}`).join(','),
      // The longest run among those that did not succeed (a lost one: from its start to its end as lost).
      longestOtherS: Math.round(Math.max(0, ...endings.filter((e) => e.status && e.status !== 'succeeded').map((e) => e.durationMs ?? 0)) / 100) / 10,
      unfinished: unfinished.length,
      unfinishedRanOn: unfinished.map((e) => this.ranOn.get(e.id) ?? '?').join(',') || '-',
      twoEnds: count('twoEnds'),
      outputWrong: count('outputWrong'),
      execEvents: [...stored.values()].reduce((n, list) => n + list.length, 0),
      storeGaps: verdict.storeGaps,
    });
    const problems = late + count('twoEnds') + count('outputWrong') + unfinished.length + verdict.storeGaps;
    return {
      ...verdict,
      examples: [...verdict.examples, ...endings.filter((e) => e.detail).map((e) => `execution ${e.id}: ${e.detail}`)].slice(0, 20),
      ...(problems > 0 ? { failed: `executions: ${unfinished.length} unfinished, ${count('twoEnds')} ended twice, ${count('outputWrong')} with wrong output, ${late} subscribed late` } : {}),
    };
  }

  async close(): Promise<void> {
    this.watchers.forEach((watcher) => watcher.close());
    await this.queue?.close();
  }

  /** How one execution's stream ended, checked against its row. */
  private ending(id: string, events: readonly StoredEvent[], status: string | undefined): { id: string; kind: string; status?: string; detail?: string; durationMs?: number } {
    const finished = events.filter((e) => e.type === 'execution.finished');
    if (finished.length === 0) return { id, kind: 'unfinished', detail: `no execution.finished; its row says ${status}; ran on ${this.ranOn.get(id) ?? '?'}` };
    if (finished.length > 1 || events.at(-1)!.type !== 'execution.finished') return { id, kind: 'twoEnds', detail: `${finished.length} execution.finished, last event ${events.at(-1)!.type}` };
    const end = finished[0]!.payload as { status: string; error?: string; durationMs: number };
    if (end.status !== status) return { id, kind: 'twoEnds', detail: `finished says ${end.status}, its row ${status}` };
    if (end.status === 'succeeded') {
      const output = events.filter((e) => e.type === 'execution.output').map((e) => (e.payload as { data: string }).data).join('');
      if (output !== expectedOutput(this.options.lines)) return { id, kind: 'outputWrong', status: end.status, detail: `output of ${output.length} characters is not the agent's` };
    }
    return { id, kind: 'ok', status: end.error ? `${end.status}(${end.error})` : end.status, durationMs: end.durationMs };
  }

  /** Which node ran each execution: the parent of its process, read while they all run. */
  private async locate(): Promise<void> {
    const { env } = this.ctx;
    const stored = await this.stored();
    for (const id of this.ids) {
      const started = stored.get(executionStream(id))!.find((e) => e.type === 'execution.started');
      const pid = (started?.payload as { pid?: number } | undefined)?.pid;
      this.ranOn.set(id, nodeOf(env, parentOf(pid)) ?? '?');
    }
  }

  private placement(): string {
    const counts = new Map<string, number>();
    for (const node of this.ranOn.values()) counts.set(node, (counts.get(node) ?? 0) + 1);
    return [...counts].map(([node, n]) => `${node}:${n}`).join(',');
  }

  private stored(): Promise<Map<string, StoredEvent[]>> {
    return this.ctx.env.database.events(this.ids.map(executionStream));
  }
}

async function startExecution(url: string, token: string, taskId: string, prompt: string): Promise<string> {
  const response = await fetch(`${url}/tasks/${taskId}/executions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ profile: CHAOS_PROFILE, prompt }),
    signal: AbortSignal.timeout(10_000),
  });
  if (response.status !== 201) throw new Error(`start execution: ${response.status} ${await response.text()}`);
  return ((await response.json()) as { id: string }).id;
}

function parentOf(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    // /proc/<pid>/stat: "pid (comm) state ppid …"; comm may hold spaces, so split after ')'.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  } catch {
    return undefined; // already gone
  }
}

function nodeOf(env: ChaosEnvironment, pid: number | undefined): string | undefined {
  return env.nodes.find((node) => node.backend.child.pid === pid)?.name;
}
