import { Logger } from '@nestjs/common';
import { ErrorCode, parseStream, type EventEnvelope, type OutputSkippedNotice } from '@taskdash/contract';
import { outgoingBytes } from '../../websocket/connection/outgoing-buffer.util';
import type { StreamDispatcher } from '../../websocket/delivery/stream-dispatcher.service';
import type { EventStore } from '../../events/event-store';
import { replayThenJoin } from '../../websocket/replay/replay-then-join.util';
import type { AppSocket } from '../../websocket/socket.types';
import type { OutputPositions } from './output-positions.store';
import type { Viewer, ViewerRegistry } from './viewer.registry';
import type { ViewerOptions } from './viewer-options.types';

/** Events read per page: about 128 KiB of output at the default chunk size. */
const PAGE_EVENTS = 8;
const POLL_MS = 5;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Output bytes an event carries (the rate is one of output, not of JSON). */
const outputBytesOf = (event: EventEnvelope): number =>
  event.type === 'execution.output' ? (event.payload as { length: number }).length : 0;

/**
 * Sends a viewer the events it missed, from the event store, then puts it back in the room.
 * Bounded twice: by rate (`catchUpBytesPerSec` of output) and by the socket's own buffer
 * (a page goes only while it holds under half the slow-viewer limit), so a catch-up can
 * neither flood a client nor grow server memory. The paging, the checks and the join are
 * the subscription replay's own (`replayThenJoin`): no gap, no duplicate, nothing after an
 * `access_revoked`. Events purged
 * by retention meanwhile are announced with `output_skipped` (`history_expired`).
 */
export class ViewerCatchUp {
  private readonly logger = new Logger(ViewerCatchUp.name);

  constructor(
    private readonly dispatcher: StreamDispatcher,
    private readonly store: EventStore,
    private readonly positions: OutputPositions,
    private readonly registry: ViewerRegistry,
    private readonly options: ViewerOptions,
  ) {}

  /** Replaces the socket's viewer with a catch-up from `after`; events follow the caller's answer. */
  start(socket: AppSocket, stream: string, after: number): void {
    const viewer: Viewer = { mode: 'catching_up', sent: after };
    this.registry.replace(socket, stream, viewer);
    // After the acknowledgement (sent in a microtask once the handler resolves), never before.
    setImmediate(() => {
      this.run(socket, stream, viewer).catch((error: Error) => {
        this.logger.warn({ msg: 'catch-up failed', socket: socket.id, stream, error: error.message });
        if (this.registry.get(socket, stream) === viewer) this.registry.replace(socket, stream, { mode: 'paused', seq: viewer.sent });
      });
    });
  }

  private async run(socket: AppSocket, stream: string, viewer: Extract<Viewer, { mode: 'catching_up' }>): Promise<void> {
    const state = this.dispatcher.state(stream);
    if (!state) throw new Error('stream not tracked');
    const current = () => this.registry.get(socket, stream) === viewer; // not paused, tailed or forgotten meanwhile
    const subscribed = () => socket.connected && socket.data.subscriptions.has(stream);
    let budgetAt = Date.now();
    const end = await replayThenJoin<'gone'>(this.store, state, viewer.sent, {
      pageSize: PAGE_EVENTS,
      wanted: () => current() && subscribed(),
      beforePage: async () => {
        // Rate and buffer bound: wait for the budget, and while the socket holds half its limit.
        for (;;) {
          const wait = Math.max(budgetAt - Date.now(), outgoingBytes(socket) >= this.options.maxBufferBytes / 2 ? POLL_MS : 0);
          if (wait <= 0 || !current() || !subscribed()) return undefined;
          await sleep(wait);
        }
      },
      onHole: async (sent, next) => {
        const notice = await this.purged(stream, sent, next);
        if (!current() || !subscribed()) return 'gone';
        socket.emit('output_skipped', notice);
        viewer.sent = notice.toSeq;
        return notice.toSeq;
      },
      send: (events) => {
        socket.emit('events', events);
        viewer.sent = events[events.length - 1]!.seq;
        const bytes = events.reduce((sum, event) => sum + outputBytesOf(event), 0);
        budgetAt = Math.max(budgetAt, Date.now() - 50) + (bytes * 1000) / this.options.catchUpBytesPerSec;
      },
      join: () => this.registry.finish(socket, stream, true),
    });
    // Gone because the socket left the stream (not because another mode took over): end the catch-up.
    if (end === 'gone' && current()) this.registry.finish(socket, stream, false);
  }

  /** Retention purged `(sent, next)`: which events and output bytes the viewer cannot get from here. */
  private async purged(stream: string, sent: number, next: number): Promise<OutputSkippedNotice> {
    const executionId = parseStream(stream)?.id ?? '';
    const [from, to] = await Promise.all([
      this.positions.endAt(stream, executionId, sent),
      this.positions.endAt(stream, executionId, next - 1),
    ]);
    return { stream, fromSeq: sent + 1, toSeq: next - 1, from, to, reason: ErrorCode.HistoryExpired };
  }
}
