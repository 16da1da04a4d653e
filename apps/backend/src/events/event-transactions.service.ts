import { Logger } from '@nestjs/common';
import { ErrorCode, type EventEnvelope } from '@taskdash/contract';
import type { Prisma, PrismaClient } from '../generated/prisma/client';
import type { CommittedEvents } from './committed-events';
import { isRetryableConflict } from '../database/database-error.util';
import type { TransactionOptions } from './events-options.types';
import { PublishException } from './publish.exception';

/** The transaction a domain write runs in: Prisma's interactive transaction client. */
export type EventTx = Prisma.TransactionClient;

export interface RunOptions {
  /**
   * Runs after the commit and before the events are delivered (e.g. withdrawing access on
   * every node, so a member removed by this transaction gets none of its events). A failure
   * is logged; the events are delivered anyway, as they are stored.
   */
  beforeDelivery?: () => Promise<void>;
}

/**
 * Domain writes whose rows and events commit together. `run` opens a Prisma interactive
 * transaction; the event services, given `{ tx }`, append inside it (each stream's seq is
 * taken under that stream's row lock, held to commit, so commit order is seq order), and
 * the events are handed to delivery only after the commit. A rollback, a thrown error or
 * a timeout leaves neither row nor event.
 *
 * @example
 * await this.transactions.run(async (tx) => {
 *   await tx.task.update({ where: { id }, data: { title } });
 *   await this.taskEvents.updated({ taskId: id, changes: { title } }, { tx });
 * });
 */
export class EventTransactions {
  private readonly logger = new Logger(EventTransactions.name);
  /** Events appended in each open transaction, in append order (seq order per stream). */
  private readonly open = new WeakMap<EventTx, EventEnvelope[]>();

  constructor(
    private readonly prisma: PrismaClient,
    private readonly committed: CommittedEvents,
    private readonly options: TransactionOptions,
  ) {}

  /**
   * Runs `work` in one transaction and fans its events out once it committed. A deadlock
   * or serialization failure runs `work` again (it must not have effects outside `tx`).
   * Past `timeoutMs` the caller gets `PublishException(outcome_unknown)`: the commit may
   * still happen, because a COMMIT sent to a frozen server cannot be called back.
   */
  async run<T>(work: (tx: EventTx) => Promise<T>, options: RunOptions = {}): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      const staged: EventEnvelope[] = [];
      try {
        const result = await this.withDeadline(
          this.prisma.$transaction(
            async (tx) => {
              this.open.set(tx, staged);
              try {
                return await work(tx);
              } finally {
                this.open.delete(tx);
              }
            },
            { maxWait: this.options.timeoutMs, timeout: this.options.timeoutMs },
          ),
        );
        if (options.beforeDelivery) {
          await options.beforeDelivery().catch((error: unknown) =>
            this.logger.error({ msg: 'before-delivery step failed', error: (error as Error).message }),
          );
        }
        this.committed.emit(staged);
        return result;
      } catch (error) {
        if (attempt >= this.options.maxAttempts || !isRetryableConflict(error)) throw error;
        this.logger.debug({ msg: 'transaction aborted by a conflict; running it again', attempt });
      }
    }
  }

  /** Keeps `events`, appended in `tx`, for delivery after its commit. */
  stage(tx: EventTx, events: readonly EventEnvelope[]): void {
    this.staged(tx).push(...events);
  }

  /** Throws unless `tx` is an open transaction of `run` (events in any other would never be delivered). */
  staged(tx: EventTx): EventEnvelope[] {
    const staged = this.open.get(tx);
    if (!staged) {
      throw new PublishException(
        ErrorCode.InvalidMessage,
        'events published with { tx } need a transaction opened by EventTransactions.run',
      );
    }
    return staged;
  }

  private withDeadline<T>(work: Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new PublishException(
              ErrorCode.OutcomeUnknown,
              `the database did not answer within ${this.options.timeoutMs} ms; the change may or may not be stored`,
            ),
          ),
        // A little past Prisma's own timeout, which rolls back when the server still answers.
        this.options.timeoutMs + 250,
      );
    });
    // The loser of the race must not become an unhandled rejection.
    work.catch(() => undefined);
    return Promise.race([work, deadline]).finally(() => clearTimeout(timer));
  }
}
