import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { ConnectionManagerService } from './connection/connection-manager.service';
import { EventFanout } from './delivery/event-fanout.service';
import { StreamDispatcher } from './delivery/stream-dispatcher.service';
import { EventPublisher } from './persistence/event-publisher.service';
import { RetentionService } from './persistence/retention.service';
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
    if (this.options.headCheckIntervalMs > 0) {
      this.headTimer = setInterval(() => void this.dispatcher.checkHeads().catch(() => undefined), this.options.headCheckIntervalMs);
      this.headTimer.unref();
    }
  }

  /** Graceful drain: refuse new sockets, send the existing ones elsewhere, store what is pending. */
  async drain(): Promise<void> {
    await this.connections.drain();
    await this.publisher.drain();
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
