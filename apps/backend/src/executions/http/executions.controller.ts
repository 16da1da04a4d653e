import { once } from 'node:events';
import { Body, Controller, Get, HttpCode, Param, Post, Query, Res, UseGuards } from '@nestjs/common';
import type { EventEnvelope, ExecutionSnapshot } from '@taskdash/contract';
import type { Response } from 'express';
import { CurrentPrincipal } from '../../auth/current-principal.decorator';
import { HttpAuthGuard } from '../../auth/http-auth.guard';
import type { Principal } from '../../auth/principal.types';
import { ZodValidationPipe } from '../../common/zod-validation.pipe';
import { TaskIdSchema } from '../../tasks/tasks.schemas';
import {
  EventsQuerySchema,
  ExecutionIdSchema,
  ListExecutionsSchema,
  OutputQuerySchema,
  StartExecutionSchema,
  type EventsQuery,
  type ListExecutionsQuery,
  type OutputQuery,
  type StartExecutionBody,
} from './executions.schemas';
import { ExecutionsService } from './executions.service';

const executionId = new ZodValidationPipe(ExecutionIdSchema);

/** Resolves when the response can take more, or is closed; leaves no listener behind. */
async function drained(response: Response): Promise<void> {
  const done = new AbortController();
  try {
    await Promise.race([once(response, 'drain', { signal: done.signal }), once(response, 'close', { signal: done.signal })]);
  } finally {
    done.abort();
  }
}

/**
 * Agent executions over HTTP: start one for a task, cancel it, read its state, its output
 * (any byte range, exactly as written) and its stored events (for backfill).
 */
@Controller()
@UseGuards(HttpAuthGuard)
export class ExecutionsController {
  constructor(private readonly executions: ExecutionsService) {}

  /** Queues an execution of a configured profile; its events follow on `execution:<id>`. */
  @Post('tasks/:id/executions')
  start(
    @CurrentPrincipal() principal: Principal,
    @Param('id', new ZodValidationPipe(TaskIdSchema)) taskId: string,
    @Body(new ZodValidationPipe(StartExecutionSchema)) body: StartExecutionBody,
  ): Promise<ExecutionSnapshot> {
    return this.executions.start(principal, taskId, body);
  }

  /** The task's executions, newest first (`limit` 1-100, default 20). */
  @Get('tasks/:id/executions')
  async listForTask(
    @CurrentPrincipal() principal: Principal,
    @Param('id', new ZodValidationPipe(TaskIdSchema)) taskId: string,
    @Query(new ZodValidationPipe(ListExecutionsSchema)) query: ListExecutionsQuery,
  ): Promise<{ executions: ExecutionSnapshot[] }> {
    return { executions: await this.executions.listForTask(principal, taskId, query.limit) };
  }

  /** Stops the execution's process group (or drops it from the queue); the final event says `cancelled`. */
  @Post('executions/:id/cancel')
  @HttpCode(202)
  cancel(@CurrentPrincipal() principal: Principal, @Param('id', executionId) id: string): Promise<ExecutionSnapshot> {
    return this.executions.cancel(principal, id);
  }

  @Get('executions/:id')
  get(@CurrentPrincipal() principal: Principal, @Param('id', executionId) id: string): Promise<ExecutionSnapshot> {
    return this.executions.get(principal, id);
  }

  /**
   * The raw bytes of `[from, to)` (or the last `tail` bytes) of the log, stdout and stderr
   * interleaved as written. `X-Output-Range: <from>-<to>/<total>` says which bytes these are.
   */
  @Get('executions/:id/output')
  async output(
    @CurrentPrincipal() principal: Principal,
    @Param('id', executionId) id: string,
    @Query(new ZodValidationPipe(OutputQuerySchema)) query: OutputQuery,
    @Res() response: Response,
  ): Promise<void> {
    const range = await this.executions.outputRange(principal, id, query);
    response.status(200);
    response.setHeader('content-type', 'application/octet-stream');
    response.setHeader('content-length', String(range.to - range.from));
    response.setHeader('x-output-range', `${range.from}-${range.to}/${range.total}`);
    response.setHeader('x-execution-status', range.status);
    try {
      for await (const piece of range.bytes) {
        if (response.write(piece)) continue;
        await drained(response);
        if (response.destroyed) return; // the client went away
      }
      response.end();
    } catch (error) {
      // The status line is sent already: all that is left is to cut the response short.
      response.destroy(error as Error);
    }
  }

  /** Stored events with `after < seq <= upTo` (not output, unless `output=include`). */
  @Get('executions/:id/events')
  events(
    @CurrentPrincipal() principal: Principal,
    @Param('id', executionId) id: string,
    @Query(new ZodValidationPipe(EventsQuerySchema)) query: EventsQuery,
  ): Promise<{ events: EventEnvelope[]; upTo: number }> {
    return this.executions.storedEvents(principal, id, query);
  }
}
