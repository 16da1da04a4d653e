import { fork, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import type { EventEnvelope, EventPayloads, ExecutionSnapshot, OutputSkippedNotice, StreamControlAck, StreamControlRequest } from '@taskdash/contract';
import { subscribe } from '../../../../../test/event-collector';
import { expectEventually } from '../../../../../test/eventually';
import type { TestSocket } from '../../../../../test/test-app';
import { decodeOutput } from '../output/output-encoding.util';

/** The scripts executions run in tests (apps/backend/test-fixtures). */
export const FIXTURES = join(__dirname, '..', '..', '..', 'test-fixtures');
export const fixture = (name: string): string => join(FIXTURES, name);

/** Environment of a test backend that runs the fixture scripts: profiles `pieces`, `pattern`, `group`. */
export function executionEnv(extra: Record<string, string> = {}): Record<string, string> {
  const node = process.execPath;
  return {
    PATH: process.env.PATH ?? '',
    CLAUDE_BINARY: fixture('fake-claude.mjs'),
    EXECUTION_PROFILES: JSON.stringify({
      pieces: [node, fixture('write-pieces.mjs'), '{prompt}'],
      pattern: [node, fixture('write-pattern.mjs'), '{prompt}'],
      group: [node, fixture('spawn-and-write.mjs')],
    }),
    EXECUTION_KILL_GRACE_MS: '2000',
    ...extra,
  };
}

/** What a fixture script writes when run directly (stdout and stderr separately). */
export function directOutput(script: string, arg: string): { stdout: Buffer; stderr: Buffer } {
  const run = spawnSync(process.execPath, [fixture(script), arg], { maxBuffer: 1 << 30 });
  if (run.status !== 0) throw new Error(`${script} exited with ${run.status}: ${run.stderr.toString()}`);
  return { stdout: run.stdout, stderr: run.stderr };
}

export const sha256 = (bytes: Buffer): string => createHash('sha256').update(bytes).digest('hex');

/** A backend to talk to over HTTP: in this process (TestApp) or another (a URL and a token signer). */
export interface ApiTarget {
  url: string;
  token(sub: string): string;
}

async function request(target: ApiTarget, method: string, path: string, sub: string, body?: unknown): Promise<{ status: number; body: unknown }> {
  const response = await fetch(`${target.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${target.token(sub)}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await response.text();
  return { status: response.status, body: text ? (JSON.parse(text) as unknown) : undefined };
}

export async function createTask(target: ApiTarget, owner: string, members: string[] = []): Promise<string> {
  const created = await request(target, 'POST', '/tasks', owner, { title: 'agent run', members });
  if (created.status !== 201) throw new Error(`task not created: ${JSON.stringify(created)}`);
  return (created.body as { id: string }).id;
}

export async function startExecution(target: ApiTarget, owner: string, taskId: string, profile: string, prompt = ''): Promise<ExecutionSnapshot> {
  const started = await request(target, 'POST', `/tasks/${taskId}/executions`, owner, { profile, prompt });
  if (started.status !== 201) throw new Error(`execution not started: ${JSON.stringify(started)}`);
  return started.body as ExecutionSnapshot;
}

export async function getExecution(target: ApiTarget, sub: string, executionId: string): Promise<ExecutionSnapshot> {
  return (await request(target, 'GET', `/executions/${executionId}`, sub)).body as ExecutionSnapshot;
}

export function control(socket: TestSocket, request: StreamControlRequest): Promise<StreamControlAck> {
  return new Promise((resolve) => socket.emit('stream_control', request, resolve));
}

/** Bytes of the log via HTTP. */
export async function fetchOutput(target: ApiTarget, sub: string, executionId: string, query = ''): Promise<{ status: number; bytes: Buffer; range: string | null }> {
  const response = await fetch(`${target.url}/executions/${executionId}/output${query}`, { headers: { authorization: `Bearer ${target.token(sub)}` } });
  return { status: response.status, bytes: Buffer.from(await response.arrayBuffer()), range: response.headers.get('x-output-range') };
}

/**
 * Everything a socket receives on one execution stream, by seq (a replay may repeat seqs),
 * and the `output_skipped` notices.
 */
export class ExecutionRecorder {
  readonly bySeq = new Map<number, EventEnvelope>();
  readonly arrivals: EventEnvelope[] = [];
  readonly skipped: OutputSkippedNotice[] = [];

  constructor(
    private readonly socket: TestSocket,
    readonly stream: string,
  ) {
    socket.on('events', (events) => {
      for (const event of events) {
        if (event.stream !== stream) continue;
        this.arrivals.push(event);
        this.bySeq.set(event.seq, event);
      }
    });
    socket.on('output_skipped', (notice) => this.skipped.push(notice));
  }

  /**
   * Subscribes so that the whole stream arrives, even events published before the
   * subscription. Resolves once the replayed events the answer promised have arrived: live
   * events (the end of the run among them) may come first, while the replay still reads.
   */
  async fromStart(): Promise<void> {
    const live = await subscribe(this.socket, [{ stream: this.stream }]);
    const result = live.ok ? live.results[0] : undefined;
    if (!result?.ok) throw new Error(`subscribe refused: ${JSON.stringify(live)}`);
    if (result.position.seq === 0) return;
    const replay = await subscribe(this.socket, [{ stream: this.stream, position: { seq: 0, epoch: result.position.epoch } }]);
    const answer = replay.ok ? replay.results[0] : undefined;
    if (!answer?.ok || !answer.recovered) throw new Error(`replay refused: ${JSON.stringify(replay)}`);
    const promised = answer.position.seq;
    await expectEventually(() => {
      for (let seq = 1; seq <= promised; seq++) if (!this.bySeq.has(seq)) throw new Error(`replayed seq ${seq} of ${promised} not arrived`);
    }, 15_000);
  }

  /** Events in seq order; throws on a gap. */
  ordered(): EventEnvelope[] {
    const seqs = [...this.bySeq.keys()].sort((a, b) => a - b);
    seqs.forEach((seq, i) => {
      if (i > 0 && seq !== seqs[i - 1]! + 1) throw new Error(`gap before seq ${seq}`);
    });
    return seqs.map((seq) => this.bySeq.get(seq)!);
  }

  finished(): EventPayloads['execution.finished'] | undefined {
    const event = [...this.bySeq.values()].find((e) => e.type === 'execution.finished');
    return event?.payload as EventPayloads['execution.finished'] | undefined;
  }

  /** The log reassembled from output events in seq order; throws if offsets do not follow on. */
  output(from = 0): Buffer {
    const parts: Buffer[] = [];
    let next: number | undefined;
    for (const event of this.ordered()) {
      if (event.type !== 'execution.output') continue;
      const payload = event.payload as EventPayloads['execution.output'];
      if (next === undefined) next = payload.offset;
      if (payload.offset !== next) throw new Error(`output at ${payload.offset}, expected ${next}`);
      const bytes = decodeOutput(payload);
      parts.push(bytes);
      next += bytes.length;
    }
    return Buffer.concat(parts).subarray(from);
  }

  /** Output of one fd, in log order. */
  outputOf(fd: 'stdout' | 'stderr'): Buffer {
    return Buffer.concat(
      this.ordered()
        .filter((e) => e.type === 'execution.output' && (e.payload as EventPayloads['execution.output']).fd === fd)
        .map((e) => decodeOutput(e.payload as EventPayloads['execution.output'])),
    );
  }
}

/** What a forked viewer (test-fixtures/viewer-client.mjs) reports. */
export interface ViewerReport {
  lastSeq: number;
  /** The last seq it has, or was told it skipped. */
  through: number;
  /** Received bytes and skipped ranges tile `[0, tiledTo)` exactly (no overlap, no hole). */
  tiled: boolean;
  tiledTo: number;
  outOfOrder: number;
  liveBytes: number;
  bytes: number;
  holes: number;
  sha256: string;
  skipped: OutputSkippedNotice[];
  finished: (EventPayloads['execution.finished'] & { at: number }) | undefined;
  firstAt: number;
  lastAt: number;
  /** Why its socket closed, if it did: the viewer never reconnects. */
  disconnected?: string;
}

export interface ForkedViewer {
  pid: number;
  watch(url: string, token: string, stream: string): Promise<unknown>;
  backfill(url: string, token: string, executionId: string): Promise<unknown>;
  report(): Promise<ViewerReport>;
  stop(): void;
}

/** A viewer in a child process of its own. */
export function forkViewer(): ForkedViewer {
  const child = fork(fixture('viewer-client.mjs'), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
  let next = 0;
  child.on('message', (message: { id: number; result?: unknown; error?: string }) => {
    const waiter = pending.get(message.id);
    pending.delete(message.id);
    if (message.error !== undefined) waiter?.reject(new Error(message.error));
    else waiter?.resolve(message.result);
  });
  const call = <T>(cmd: string, args: object = {}): Promise<T> =>
    new Promise((resolve, reject) => {
      const id = ++next;
      pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
      child.send({ id, cmd, args });
    });
  return {
    pid: child.pid!,
    watch: (url, token, stream) => call('watch', { url, token, stream }),
    backfill: (url, token, executionId) => call('backfill', { url, token, executionId }),
    report: () => call<ViewerReport>('report'),
    stop: () => child.kill('SIGKILL'),
  };
}
