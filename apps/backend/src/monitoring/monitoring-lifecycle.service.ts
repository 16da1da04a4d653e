import {
  Inject,
  Injectable,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { CommittedEvents } from '../events/committed-events';
import { WebsocketObservers } from '../websocket/websocket-observers';
import { EventFanout } from '../websocket/delivery/event-fanout.service';
import { StreamDispatcher } from '../websocket/delivery/stream-dispatcher.service';
import { EventPublisher } from '../events/event-publisher.service';
import { EventReplayService } from '../websocket/replay/event-replay.service';
import { AlertEngine } from './alerts/alert-engine.service';
import { HealthMonitorService } from './health/health-monitor.service';
import { MONITORING_OPTIONS } from './monitoring.module-definition';
import type { MonitoringOptions } from './monitoring-options.types';
import { WebsocketMetricsService } from './websocket-metrics.service';
import { readBuildInfo } from './build-info.util';

/**
 * After boot (the gateway has attached the namespace by then): installs the metric hooks in
 * the event path and starts health sampling. Before shutdown: stops sampling and alert
 * timers, so nothing publishes while the publisher drains.
 */
@Injectable()
export class MonitoringLifecycleService implements OnApplicationBootstrap, BeforeApplicationShutdown {
  constructor(
    @Inject(MONITORING_OPTIONS) private readonly options: MonitoringOptions,
    private readonly metrics: WebsocketMetricsService,
    private readonly publisher: EventPublisher,
    private readonly dispatcher: StreamDispatcher,
    private readonly health: HealthMonitorService,
    private readonly alerts: AlertEngine,
    private readonly committed: CommittedEvents,
    private readonly fanout: EventFanout,
    private readonly replay: EventReplayService,
    private readonly observers: WebsocketObservers,
  ) {}

  onApplicationBootstrap(): void {
    if (this.options.metricsEnabled) this.installHooks();
    this.metrics.buildInfo(readBuildInfo(this.options.buildRevision));
    this.health.start();
  }

  beforeApplicationShutdown(): void {
    this.health.stop();
    this.alerts.stop();
  }

  private installHooks(): void {
    // The hooks are optional setters, so the event and realtime modules stay free of monitoring code.
    const { fanout, replay } = this;
    this.publisher.observe(this.metrics);
    this.committed.observe(this.metrics);
    fanout.observe(this.metrics);
    replay.observe(this.metrics);
    this.metrics.bindSources({
      namespace: () => fanout.attachedNamespace,
      publishBacklog: () => this.publisher.backlog,
      trackedStreams: () => this.dispatcher.trackedStreams.length,
    });
    const observers = this.observers;
    observers.handshakeRejected = (code) => this.metrics.handshakeRejected(code);
    observers.messageRefused = (code) => this.metrics.messageRefused(code);
    observers.revocationApplied = (kind, ms) => this.metrics.revocationApplied(kind, ms);
    observers.slowConsumer = () => this.metrics.slowViewerAction('disconnected');
    observers.viewerSkipped = () => this.metrics.slowViewerAction('skipped');
    observers.socketDisconnected = (reason, code) => this.metrics.socketDisconnected(reason, code);
    const namespace = fanout.attachedNamespace;
    if (namespace) this.metrics.observeConnections(namespace);
  }
}
