import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { ConnectionManagerService } from './connection/connection-manager.service';
import { EventFanout } from './delivery/event-fanout.service';
import { StreamDispatcher } from './delivery/stream-dispatcher.service';
import { EventPublisher } from '../events/event-publisher.service';
import { RetentionService } from '../events/retention.service';
import { WEBSOCKET_OPTIONS } from './websocket.module-definition';
import type { WebsocketModuleOptions } from './websocket-options.types';

/** Starts the module's timers after boot and flushes pending events on shutdown. */
@Injectable()
export class WebsocketLifecycleService implements OnApplicationBootstrap, OnApplicationShutdown {
  private headTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly publisher: EventPublisher,
    private readonly dispatcher: StreamDispatcher,
    private readonly retention: RetentionService,
    private readonly connections: ConnectionManagerService,
    private readonly fanout: EventFanout,
    @Inject(WEBSOCKET_OPTIONS) private readonly options: WebsocketModuleOptions,
  ) {}

  onApplicationBootstrap(): void {
    this.retention.start();
    // Alone (no Redis), every event reaches the dispatcher in-process and none can be lost
    // on the way; the check is for messages between nodes that Redis dropped.
    if (this.options.multiNode && this.options.headCheckIntervalMs > 0) {
      this.headTimer = setInterval(() => void this.dispatcher.checkHeads().catch(() => undefined), this.options.headCheckIntervalMs);
      this.headTimer.unref();
    }
  }

  /**
   * Graceful drain: refuse new sockets and send the existing ones elsewhere. The publisher
   * stays open: what the shutdown still finishes after this (the bridge's last batch, the
   * running executions the worker waits for) must be stored and delivered through the
   * other nodes. It closes in `onApplicationShutdown`, after the queue module stopped.
   */
  async drain(): Promise<void> {
    await this.connections.drain();
  }

  async onApplicationShutdown(): Promise<void> {
    this.connections.stop();
    this.dispatcher.stop();
    this.fanout.stop();
    this.retention.stop();
    if (this.headTimer) clearInterval(this.headTimer);
    await this.publisher.drain();
  }
}
