import { ErrorCode } from '@taskdash/contract';
import type { NextFunction, Request, RequestHandler, Response } from 'express';

export interface RequestBoundsOptions {
  /** The longest a write may take, waiting in line included, in ms. */
  timeoutMs: number;
  /** Writes run at once. */
  maxConcurrent: number;
  /** Writes waiting for a turn; beyond it new ones are refused at once. */
  maxQueued: number;
}

/** Seconds a client is asked to wait after a 503 (`Retry-After`). */
export const RETRY_AFTER_SEC = 2;

const WRITES = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

function refuse(response: Response, message: string): void {
  if (response.headersSent) return;
  response.setHeader('Retry-After', String(RETRY_AFTER_SEC));
  response.status(503).json({ code: ErrorCode.Unavailable, message });
}

/**
 * Bounds every HTTP write in time and in number, from the moment it arrives (before the
 * auth guard, which may itself wait for the database).
 * - Above `maxConcurrent` a write waits in a short line; with the line full it is refused
 *   at once with `503 unavailable`: answering "later" fast keeps the node responsive,
 *   where accepting everything let the event loop and the pool fall behind until
 *   connections were refused.
 * - A write that has not been answered `timeoutMs` after it arrived is answered `503
 *   unavailable` with `Retry-After` then, whatever it waits for (a frozen database, no free
 *   pooled connection). Its domain transaction's own timeout (the same limit) rolls it back,
 *   and the late answer, if any, is dropped.
 */
export function requestBounds(options: RequestBoundsOptions): RequestHandler {
  let running = 0;
  const line: Array<() => void> = [];
  const release = () => {
    running--;
    line.shift()?.();
  };
  return (request: Request, response: Response, next: NextFunction) => {
    if (!WRITES.has(request.method)) return next();
    const timer = setTimeout(() => {
      const index = line.indexOf(start);
      if (index >= 0) line.splice(index, 1);
      refuse(response, 'the database did not answer in time; retry later');
      // Whatever the handler sends later goes nowhere (the answer is given).
      response.json = () => response;
      response.send = () => response;
      response.status = () => response;
    }, options.timeoutMs);
    let started = false;
    function start(): void {
      started = true;
      running++;
      response.once('close', () => {
        clearTimeout(timer);
        release();
      });
      next();
    }
    if (running < options.maxConcurrent) return start();
    if (line.length >= options.maxQueued) {
      clearTimeout(timer);
      refuse(response, 'too many writes in progress; retry later');
      return;
    }
    line.push(start);
    response.once('close', () => {
      if (!started) {
        clearTimeout(timer);
        const index = line.indexOf(start);
        if (index >= 0) line.splice(index, 1);
      }
    });
  };
}
