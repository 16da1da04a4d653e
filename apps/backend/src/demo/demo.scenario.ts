import type { INestApplication } from '@nestjs/common';
import type { TaskSnapshot, TaskStatus } from '@taskdash/contract';
import { ExecutionsQueue } from '../queue/executions-queue.service';
import { SIMULATED_JOB } from '../queue/handlers/simulated-job.handler';

/** The demo's users: an admin who owns the tasks, and a member who sees only some. */
export const DEMO_ADMIN = 'ada';
export const DEMO_USER = 'bob';

export interface DemoDriverOptions {
  url: string;
  /** The address shown to the person running the demo. @default url */
  publicUrl?: string;
  app: INestApplication;
  /** Bearer token of DEMO_ADMIN. */
  token: string;
  queues: boolean;
  say: (line: string) => void;
  /** Pause between steps, in ms. @default 1500 */
  stepMs?: number;
}

const TASKS = [
  { title: 'Migrate billing to the new invoice API', members: [DEMO_USER] },
  { title: 'Fix flaky login test', members: [DEMO_USER, 'carol'] },
  { title: 'Write the Q3 incident review', members: ['carol'] },
];

/**
 * Drives the demo through the HTTP API (like any client would) and, for job progress, the
 * executions queue: tasks created and updated, simulated jobs with progress, an agent run
 * with coloured output, and a health alert that fires and resolves. One round takes about
 * a minute; `run` repeats rounds until `stop`.
 */
export class DemoScenario {
  private stopped = false;
  private tasks: TaskSnapshot[] = [];

  constructor(private readonly options: DemoDriverOptions) {}

  stop(): void {
    this.stopped = true;
  }

  async run(): Promise<void> {
    for (const spec of TASKS) this.tasks.push(await this.api<TaskSnapshot>('POST', '/tasks', { ...spec, description: 'Created by pnpm demo.' }));
    this.options.say(`created ${this.tasks.length} tasks`);
    for (let round = 1; !this.stopped; round++) await this.round(round);
  }

  /** A step that fails is reported and skipped: the demo goes on with the rest. */
  private async step(name: string, work: () => Promise<void>): Promise<void> {
    if (this.stopped) return;
    try {
      await work();
    } catch (error) {
      this.options.say(`${name} failed: ${(error as Error).message}`);
      await this.pause();
    }
  }

  private async round(round: number): Promise<void> {
    const [billing, login, review] = this.tasks as [TaskSnapshot, TaskSnapshot, TaskSnapshot];
    await this.step('status', () => this.status(billing, 'in_progress'));
    await this.step('jobs', () => this.jobs(billing, 3));
    await this.step('status', () => this.status(login, 'in_progress'));
    await this.step('agent run', () => this.execution(login, `lines=160 delayMs=60 round ${round}: make the login test deterministic`));
    await this.step('update', async () => void (await this.api('PATCH', `/tasks/${review.id}`, { description: `Draft ${round} is ready for comments.` })));
    await this.step('alert', () => this.alert());
    await this.step('status', () => this.status(login, round % 2 ? 'blocked' : 'done'));
    await this.step('status', () => this.status(billing, 'done'));
    await this.pause(4);
    await this.step('status', () => this.status(billing, 'todo'));
    await this.step('status', () => this.status(login, 'todo'));
    this.options.say(`round ${round} done; the next one starts now (Ctrl-C to stop)`);
  }

  private async status(task: TaskSnapshot, status: TaskStatus): Promise<void> {
    if (this.stopped) return;
    await this.api('PUT', `/tasks/${task.id}/status`, { status });
    await this.pause();
  }

  /** Simulated jobs that report progress for a few seconds each. */
  private async jobs(task: TaskSnapshot, count: number): Promise<void> {
    if (this.stopped || !this.options.queues) return;
    const queue = this.options.app.get(ExecutionsQueue, { strict: false });
    for (let i = 0; i < count; i++) await queue.add(SIMULATED_JOB, { taskId: task.id, steps: 20, stepMs: 250 + i * 100 });
    this.options.say(`queued ${count} jobs with progress on "${task.title}"`);
    await this.pause(2);
  }

  private async execution(task: TaskSnapshot, prompt: string): Promise<void> {
    if (this.stopped || !this.options.queues) return;
    const execution = await this.api<{ id: string }>('POST', `/tasks/${task.id}/executions`, { profile: 'demo', prompt });
    this.options.say(`agent run started: ${this.options.publicUrl ?? this.options.url}/#/executions/${execution.id}`);
    await this.pause(6);
  }

  /**
   * Blocks the event loop in bursts so the node's lag crosses the demo rule's threshold;
   * the alert fires, and resolves once the loop is quiet again.
   */
  private async alert(): Promise<void> {
    if (this.stopped) return;
    this.options.say('blocking the event loop for a few seconds: the DemoEventLoopLag alert fires, then resolves');
    const until = Date.now() + 5000;
    while (Date.now() < until && !this.stopped) {
      const busy = Date.now() + 250;
      while (Date.now() < busy) {
        // Deliberately busy: this is the incident.
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    await this.pause(6);
  }

  private pause(steps = 1): Promise<void> {
    return new Promise((resolve) => setTimeout(resolve, steps * (this.options.stepMs ?? 1500)));
  }

  private async api<T>(method: string, path: string, body?: unknown): Promise<T> {
    const response = await fetch(`${this.options.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${this.options.token}`, ...(body !== undefined && { 'content-type': 'application/json' }) },
      ...(body !== undefined && { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${text}`);
    return (text ? JSON.parse(text) : undefined) as T;
  }
}
