import { taskStream } from '../packages/contract/src';
import { sleep } from './chaos.util';

export interface Ack {
  stream: string;
  at: number;
}

/**
 * Publishes task events the real way: `PATCH /tasks/:id` with a unique title per attempt.
 * A 2xx answer means the event is stored, so it is recorded as acknowledged; a failed
 * attempt is retried under a new title (the old one may or may not have been stored).
 */
export class ChaosProducer {
  readonly acked = new Map<string, Ack>();
  readonly attempted = new Map<string, string>();
  failures = 0;
  private next = 0;
  private running = false;
  private paused = false;
  private sending = 0;
  private loops: Promise<void>[] = [];

  constructor(
    private readonly urls: () => string[],
    private readonly token: string,
    readonly taskIds: string[],
    private readonly random: () => number,
    /** Bytes of `description` sent with every change (0: none). */
    private readonly payloadBytes = 0,
  ) {}

  static async createTasks(url: string, token: string, count: number): Promise<string[]> {
    const ids: string[] = [];
    for (let i = 0; i < count; i++) {
      const response = await fetch(`${url}/tasks`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ title: `chaos-${i}` }),
        signal: AbortSignal.timeout(10_000),
      });
      if (response.status !== 201) throw new Error(`create task: ${response.status} ${await response.text()}`);
      ids.push(((await response.json()) as { id: string }).id);
    }
    return ids;
  }

  get streams(): string[] {
    return this.taskIds.map(taskStream);
  }

  /** Starts `workers` loops, each at most `perWorkerRate` events per second. */
  start(workers: number, perWorkerRate: number): void {
    this.running = true;
    this.loops = Array.from({ length: workers }, (_, w) => this.loop(w, perWorkerRate));
  }

  async stop(): Promise<void> {
    this.running = false;
    await Promise.all(this.loops);
  }

  /** Holds every loop before its next request; resolves once no request is in flight (bounded). */
  async pause(): Promise<void> {
    this.paused = true;
    const deadline = Date.now() + 60_000;
    while (this.sending > 0 && Date.now() < deadline) await sleep(20);
  }

  resume(): void {
    this.paused = false;
  }

  private async loop(worker: number, rate: number): Promise<void> {
    let attempt = 0;
    while (this.running) {
      if (this.paused) {
        await sleep(20);
        continue;
      }
      const started = Date.now();
      const index = Math.floor(this.random() * this.taskIds.length);
      const taskId = this.taskIds[index]!;
      const op = `op-${this.next++}`;
      this.attempted.set(op, taskStream(taskId));
      const urls = this.urls();
      this.sending++;
      const ok = await this.send(urls[(worker + attempt) % urls.length]!, taskId, op).finally(() => this.sending--);
      if (ok) {
        this.acked.set(op, { stream: taskStream(taskId), at: Date.now() });
      } else {
        this.failures++;
        attempt++;
        await sleep(100);
      }
      const spare = 1000 / rate - (Date.now() - started);
      if (spare > 0) await sleep(spare);
    }
  }

  private async send(url: string, taskId: string, op: string): Promise<boolean> {
    try {
      const response = await fetch(`${url}/tasks/${taskId}`, {
        method: 'PATCH',
        headers: { authorization: `Bearer ${this.token}`, 'content-type': 'application/json' },
        body: JSON.stringify(this.payloadBytes > 0 ? { title: op, description: 'x'.repeat(this.payloadBytes) } : { title: op }),
        signal: AbortSignal.timeout(45_000),
      });
      await response.arrayBuffer();
      return response.status >= 200 && response.status < 300;
    } catch {
      return false;
    }
  }
}
