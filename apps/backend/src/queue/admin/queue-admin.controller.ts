import { Controller, Get, HttpCode, Param, Post, Query, UseGuards } from '@nestjs/common';
import { CurrentPrincipal } from '../../auth/current-principal.decorator';
import { HttpAuthGuard } from '../../auth/http-auth.guard';
import type { Principal } from '../../auth/principal.types';
import { requireOperator } from '../../common/require-operator.util';
import { ZodValidationPipe } from '../../common/zod-validation.pipe';
import type { JobDetail, QueueSummary } from '@taskdash/contract';
import { JobIdSchema, ListJobsSchema, QueueNameSchema, type ListJobsQuery } from './queue-admin.schemas';
import { QueueAdminService } from './queue-admin.service';

const OPERATORS_ONLY = 'only operators and admins see and change queues';
const queueName = new ZodValidationPipe(QueueNameSchema);
const jobId = new ZodValidationPipe(JobIdSchema);
const listQuery = new ZodValidationPipe(ListJobsSchema);

/**
 * The queue pages' API, for the audience of the `queue:` streams (operators and admins).
 * Reads answer from BullMQ; each action answers once BullMQ did it and `queue.action` is
 * stored, so a viewer of the queue's stream sees it as the caller gets the answer.
 */
@Controller('queues')
@UseGuards(HttpAuthGuard)
export class QueueAdminController {
  constructor(private readonly queues: QueueAdminService) {}

  @Get()
  async list(@CurrentPrincipal() principal: Principal): Promise<{ queues: QueueSummary[] }> {
    requireOperator(principal, OPERATORS_ONLY);
    return { queues: await this.queues.list() };
  }

  @Get(':queue')
  summary(@CurrentPrincipal() principal: Principal, @Param('queue', queueName) queue: string): Promise<QueueSummary> {
    requireOperator(principal, OPERATORS_ONLY);
    return this.queues.summary(queue);
  }

  /** One page of the jobs in a state; `total` is the state's count when the page was read. */
  @Get(':queue/jobs')
  jobs(@CurrentPrincipal() principal: Principal, @Param('queue', queueName) queue: string, @Query(listQuery) query: ListJobsQuery) {
    requireOperator(principal, OPERATORS_ONLY);
    return this.queues.jobs(queue, query);
  }

  @Get(':queue/jobs/:jobId')
  job(@CurrentPrincipal() principal: Principal, @Param('queue', queueName) queue: string, @Param('jobId', jobId) id: string): Promise<JobDetail> {
    requireOperator(principal, OPERATORS_ONLY);
    return this.queues.job(queue, id);
  }

  @Post(':queue/jobs/:jobId/retry')
  @HttpCode(204)
  async retry(@CurrentPrincipal() principal: Principal, @Param('queue', queueName) queue: string, @Param('jobId', jobId) id: string): Promise<void> {
    requireOperator(principal, OPERATORS_ONLY);
    await this.queues.act(principal, queue, id, 'retry');
  }

  @Post(':queue/jobs/:jobId/promote')
  @HttpCode(204)
  async promote(@CurrentPrincipal() principal: Principal, @Param('queue', queueName) queue: string, @Param('jobId', jobId) id: string): Promise<void> {
    requireOperator(principal, OPERATORS_ONLY);
    await this.queues.act(principal, queue, id, 'promote');
  }

  @Post(':queue/jobs/:jobId/remove')
  @HttpCode(204)
  async remove(@CurrentPrincipal() principal: Principal, @Param('queue', queueName) queue: string, @Param('jobId', jobId) id: string): Promise<void> {
    requireOperator(principal, OPERATORS_ONLY);
    await this.queues.act(principal, queue, id, 'remove');
  }

  @Post(':queue/pause')
  @HttpCode(200)
  pause(@CurrentPrincipal() principal: Principal, @Param('queue', queueName) queue: string): Promise<QueueSummary> {
    requireOperator(principal, OPERATORS_ONLY);
    return this.queues.setPaused(principal, queue, true);
  }

  @Post(':queue/resume')
  @HttpCode(200)
  resume(@CurrentPrincipal() principal: Principal, @Param('queue', queueName) queue: string): Promise<QueueSummary> {
    requireOperator(principal, OPERATORS_ONLY);
    return this.queues.setPaused(principal, queue, false);
  }
}
