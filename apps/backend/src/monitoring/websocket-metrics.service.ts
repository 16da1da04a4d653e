import { Inject, Injectable } from '@nestjs/common';
import {
  EVENT_TYPES,
  type EventEnvelope,
  type EventPayloads,
  type RecoveryFailure,
} from '@taskdash/contract';
import type { Counter, Registry } from 'prom-client';
import type { FanoutObserver } from '../websocket/delivery/event-fanout.service';
import type { PublisherObserver } from '../events/event-publisher.service';
import type { ReplayObserver, ReplayOutcome } from '../websocket/replay/event-replay.service';
import type { AppNamespace } from '../websocket/socket.types';
import { defineMetrics, type MetricSources, type WebsocketMetrics } from './metric-definitions';
import {
  ALERT_SUPPRESSIONS,
  DISCONNECT_REASONS,
  ERROR_CODE_LABELS,
  MAX_QUEUE_LABELS,
  OTHER,
  PUBLISH_REJECTIONS,
  REPLAY_DECISIONS,
  REPLAY_ENDINGS,
  REVOCATION_KINDS,
  SLOW_VIEWER_ACTIONS,
  bounded,
  disconnectReason,
  type AlertSuppression,
  type SlowViewerAction,
} from './metric-labels.util';
import { preset, presetHistogram } from './metric-factory.util';
import { isoMillis } from './iso-millis.util';
import { METRICS_REGISTRY } from './metrics.constants';

const withOther = (values: Iterable<string>): string[] => [...values, OTHER];
const DECISIONS: ReadonlySet<string> = new Set(REPLAY_DECISIONS);
const KINDS: ReadonlySet<string> = new Set(REVOCATION_KINDS);
const QUEUE_STATES = ['waiting', 'active', 'delayed', 'failed'] as const;
const HTTP_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);

/**
 * Every Prometheus metric of the real-time layer, on the app's registry (`taskdash_` prefix,
 * base units, bounded labels: never a user, task or stream id). The event path reports through
 * the observer interfaces it implements; the other methods are for the gateway, the queue
 * bridge and the monitoring services. All methods are cheap and never throw.
 */
@Injectable()
export class WebsocketMetricsService implements PublisherObserver, FanoutObserver, ReplayObserver {
  private sources: MetricSources | undefined;
  private readonly queueLabels = new Set<string>();
  private readonly publishedByType = new Map<string, Counter.Internal>();
  private readonly m: WebsocketMetrics;

  constructor(@Inject(METRICS_REGISTRY) readonly registry: Registry) {
    this.m = defineMetrics(registry, () => this.sources);
    this.presetLabels();
  }

  private presetLabels(): void {
    const m = this.m;
    preset(m.disconnects, 'reason', withOther(DISCONNECT_REASONS));
    preset(m.serverDisconnects, 'code', withOther(ERROR_CODE_LABELS));
    preset(m.rejections, 'code', withOther(ERROR_CODE_LABELS));
    preset(m.refused, 'code', withOther(ERROR_CODE_LABELS));
    preset(m.slowViewers, 'action', SLOW_VIEWER_ACTIONS);
    presetHistogram(m.revocation, 'kind', withOther(REVOCATION_KINDS));
    preset(m.published, 'type', withOther(EVENT_TYPES));
    for (const type of EVENT_TYPES) this.publishedByType.set(type, m.published.labels(type));
    preset(m.publishRejected, 'reason', PUBLISH_REJECTIONS);
    preset(m.replayRequests, 'outcome', withOther(REPLAY_DECISIONS));
    preset(m.replayEndings, 'outcome', REPLAY_ENDINGS);
    preset(m.dependencyUp, 'dependency', ['postgres', 'redis']);
    preset(m.dependencyRtt, 'dependency', ['postgres', 'redis']);
  }

  bindSources(sources: MetricSources | undefined): void {
    this.sources = sources;
  }

  // ---- event path (installed by MonitoringLifecycleService) ----------------------------

  batchWritten(size: number, ms: number): void {
    this.m.batchSize.observe(size);
    this.m.writeSeconds.observe(ms / 1000);
  }

  stored(events: readonly EventEnvelope[]): void {
    // One increment per run of one type (a stored batch is mostly one or two runs), not per event.
    let type = events[0]?.type;
    let run = 0;
    for (const event of events) {
      if (event.type === type) {
        run++;
        continue;
      }
      this.countPublished(type!, run);
      type = event.type;
      run = 1;
    }
    if (run > 0) this.countPublished(type!, run);
  }

  private countPublished(type: string, count: number): void {
    (this.publishedByType.get(type) ?? this.m.published.labels(OTHER)).inc(count);
  }

  storeFailed(): void {
    this.m.storeErrors.inc();
  }

  rejected(reason: (typeof PUBLISH_REJECTIONS)[number], count: number): void {
    this.m.publishRejected.inc({ reason }, count);
  }

  emitted(events: readonly EventEnvelope[], sockets: number): void {
    this.m.emitted.inc(events.length);
    if (sockets > 0) this.m.delivered.inc(events.length * sockets);
    const now = Date.now();
    for (const event of events)
      this.m.publishToEmit.observe(Math.max(0, now - isoMillis(event.occurredAt)) / 1000);
  }

  decided(outcome: 'recovered' | RecoveryFailure): void {
    this.m.replayRequests.inc({ outcome: bounded(outcome, DECISIONS) });
  }

  replayed(count: number): void {
    this.m.replayed.inc(count);
  }

  finished(outcome: ReplayOutcome): void {
    this.m.replayEndings.inc({ outcome });
  }

  /** Counts connects of the namespace's sockets (one listener for all). */
  observeConnections(namespace: AppNamespace): void {
    namespace.on('connection', () => this.m.connects.inc());
  }

  /**
   * A connected socket went away, with Socket.IO's reason and, when the server closed it,
   * our code (WebsocketObservers `socketDisconnected`, called from the socket's one shared
   * disconnect listener rather than a listener of ours per socket).
   */
  socketDisconnected(reason: string, code: string | undefined): void {
    this.m.disconnects.inc({ reason: disconnectReason(reason) });
    if (code) this.serverDisconnected(code);
  }

  // ---- for the gateway, the limits and the access service ------------------------------

  /** A handshake was refused with `code` (pass as `onRejected` to the socket middleware). */
  handshakeRejected(code: string): void {
    this.m.rejections.inc({ code: bounded(code, ERROR_CODE_LABELS) });
  }

  /** A client message was refused by the limits (MessageGuard `onRefused`, through WebsocketObservers). */
  messageRefused(code: string): void {
    this.m.refused.inc({ code: bounded(code, ERROR_CODE_LABELS) });
  }

  /** The server closed a socket with `code` (call from `disconnectWithReason`). */
  serverDisconnected(code: string): void {
    this.m.serverDisconnects.inc({ code: bounded(code, ERROR_CODE_LABELS) });
  }

  /** A permission change reached this node's sockets after `latencyMs` (AccessRevocationService `onApplied`). */
  revocationApplied(kind: string, latencyMs: number): void {
    this.m.revocation.observe(
      { kind: bounded(kind.replace(/-/g, '_'), KINDS) },
      Math.max(0, latencyMs) / 1000,
    );
  }

  slowViewerAction(action: SlowViewerAction): void {
    this.m.slowViewers.inc({ action });
  }

  // ---- for the HTTP API ---------------------------------------------------------------

  /** One answered request; `route` is the route's template (`/tasks/:id`), never the path. */
  httpRequest(method: string, route: string, status: number, seconds: number): void {
    const statusClass = status >= 100 && status < 600 ? `${Math.floor(status / 100)}xx` : OTHER;
    this.m.httpDuration.observe({ method: HTTP_METHODS.has(method) ? method : OTHER, route, status_class: statusClass }, seconds);
  }

  /** Sets `taskdash_build_info` (once, at start-up). */
  buildInfo(info: { version: string; revision: string }): void {
    this.m.buildInfo.set({ version: info.version, revision: info.revision, node_version: process.version }, 1);
  }

  // ---- for the queue bridge -----------------------------------------------------------

  /** A queue event was published `lagMs` after BullMQ recorded it. */
  queueBridgeLag(lagMs: number): void {
    this.m.bridgeLag.observe(Math.max(0, lagMs) / 1000);
  }

  // ---- for the monitoring services ----------------------------------------------------

  healthSampled(sample: EventPayloads['system.health']): void {
    const m = this.m;
    m.sampleCost.observe(sample.sampleCostMs / 1000);
    m.elu.set(sample.eventLoop.utilization);
    const probes = { postgres: sample.postgres, ...(sample.redis ? { redis: sample.redis } : {}) };
    for (const [dependency, probe] of Object.entries(probes)) {
      m.dependencyUp.set({ dependency }, probe.ok ? 1 : 0);
      if (probe.rttMs !== undefined) m.dependencyRtt.set({ dependency }, probe.rttMs / 1000);
    }
    for (const depth of sample.queues) {
      if (!this.queueLabels.has(depth.queue) && this.queueLabels.size >= MAX_QUEUE_LABELS) continue;
      this.queueLabels.add(depth.queue);
      for (const state of QUEUE_STATES) m.queueDepth.set({ queue: depth.queue, state }, depth[state]);
    }
  }

  /** Creates the alert series of every rule up front. */
  presetAlerts(alertnames: readonly string[]): void {
    for (const alertname of alertnames) {
      for (const repeat of ['false', 'true']) this.m.alertsRaised.inc({ alertname, repeat }, 0);
      for (const reason of ALERT_SUPPRESSIONS) this.m.alertsSuppressed.inc({ alertname, reason }, 0);
      this.m.alertsResolved.inc({ alertname }, 0);
      this.m.alertsAcknowledged.inc({ alertname }, 0);
    }
  }

  alertRaised(alertname: string, repeat: boolean): void {
    this.m.alertsRaised.inc({ alertname, repeat: String(repeat) });
  }

  alertSuppressed(alertname: string, reason: AlertSuppression): void {
    this.m.alertsSuppressed.inc({ alertname, reason });
  }

  alertResolved(alertname: string): void {
    this.m.alertsResolved.inc({ alertname });
  }

  alertAcknowledged(alertname: string): void {
    this.m.alertsAcknowledged.inc({ alertname });
  }
}
