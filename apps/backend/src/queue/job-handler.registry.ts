import { Injectable } from '@nestjs/common';
import { UnrecoverableError } from 'bullmq';
import type { ExecutionJob, JobHandler } from './execution-job.types';
import { simulatedJobHandler, SIMULATED_JOB } from './handlers/simulated-job.handler';

/**
 * Job handlers by job name. The worker runs whatever is registered here, so a feature adds
 * its kind of job by registering a handler at start-up (e.g. the agent runner registers
 * `execution`), in the backend and in the worker process alike.
 *
 * @example
 * registry.register('execution', async (job, signal) => runAgent(job.data, signal));
 */
@Injectable()
export class JobHandlerRegistry {
  private readonly handlers = new Map<string, JobHandler>([[SIMULATED_JOB, simulatedJobHandler]]);

  register(name: string, handler: JobHandler): void {
    if (this.handlers.has(name)) throw new Error(`a handler for job "${name}" is already registered`);
    this.handlers.set(name, handler);
  }

  names(): string[] {
    return [...this.handlers.keys()];
  }

  /** Runs the job's handler; an unknown name fails the job at once (retrying cannot help). */
  run(job: ExecutionJob, signal: AbortSignal): Promise<unknown> {
    const handler = this.handlers.get(job.name);
    if (!handler) throw new UnrecoverableError(`no handler for job "${job.name}" (known: ${this.names().join(', ')})`);
    return handler(job, signal);
  }
}
