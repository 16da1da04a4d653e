import { Injectable, type CallHandler, type ExecutionContext, type NestInterceptor } from '@nestjs/common';
import { ErrorCode } from '@taskdash/contract';
import type { Request } from 'express';
import { from, lastValueFrom, type Observable } from 'rxjs';
import { ApiException } from './api.exception';

export interface RequestBoundsOptions {
  /** The longest a write may take, waiting in line included, in ms. */
  timeoutMs: number;
  /** Writes run at once. */
  maxConcurrent: number;
  /** Writes waiting for a turn; beyond it new ones are refused at once. */
  maxQueued: number;
}

const WRITES = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** Why a write got 503 (the filter sends `Retry-After` with every 503). */
export type ShedReason = 'overloaded' | 'timeout';

/**
 * Bounds every HTTP write in time and in number. Above the node's write ceiling a request
 * waits in a short line and, when the line is full, is refused at once with `503
 * unavailable`: answering "later" fast keeps the node responsive, where accepting
 * everything let the event loop and the pool fall behind until connections were refused.
 * A write that has not finished `timeoutMs` after it arrived is answered `503 unavailable`
 * then, whatever it is waiting for (a frozen database, a pool with no free connection);
 * the domain transaction's own timeout rolls it back, so a 503 leaves no half-done change.
 * Its slot is freed only when the work really ends, so a stalled database sheds new writes
 * instead of piling them up.
 */
@Injectable()
export class RequestBoundsInterceptor implements NestInterceptor {
  private running = 0;
  private readonly line: Array<() => void> = [];

  constructor(
    private readonly options: RequestBoundsOptions,
    private readonly onShed: (reason: ShedReason) => void = () => undefined,
  ) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const request = context.switchToHttp().getRequest<Request>();
    if (context.getType() !== 'http' || !WRITES.has(request.method)) return next.handle();
    return from(this.bounded(next));
  }

  private async bounded(next: CallHandler): Promise<unknown> {
    const deadline = Date.now() + this.options.timeoutMs;
    await this.admit(deadline);
    const work = lastValueFrom(next.handle(), { defaultValue: undefined });
    void work.then(
      () => this.release(),
      () => this.release(),
    );
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        this.onShed('timeout');
        reject(new ApiException(ErrorCode.Unavailable, 'the database did not answer in time; retry later', 503));
      }, Math.max(0, deadline - Date.now()));
    });
    try {
      return await Promise.race([work, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  private admit(deadline: number): Promise<void> {
    if (this.running < this.options.maxConcurrent) {
      this.running++;
      return Promise.resolve();
    }
    if (this.line.length >= this.options.maxQueued) {
      this.onShed('overloaded');
      return Promise.reject(new ApiException(ErrorCode.Unavailable, 'too many writes in progress; retry later', 503));
    }
    return new Promise<void>((resolve, reject) => {
      const turn = () => {
        clearTimeout(timer);
        this.running++;
        resolve();
      };
      const timer = setTimeout(() => {
        const index = this.line.indexOf(turn);
        if (index >= 0) this.line.splice(index, 1);
        this.onShed('timeout');
        reject(new ApiException(ErrorCode.Unavailable, 'too many writes in progress; retry later', 503));
      }, Math.max(0, deadline - Date.now()));
      this.line.push(turn);
    });
  }

  private release(): void {
    this.running--;
    this.line.shift()?.();
  }
}
