import type { Registry } from 'prom-client';
import type { AppNamespace } from '../websocket/socket.types';
import { BUCKETS, MetricFactory } from './metric-factory.util';

/** Where scrape-time gauges read their values; bound once the gateway attached the namespace. */
export interface MetricSources {
  namespace: () => AppNamespace | undefined;
  publishBacklog: () => number;
  trackedStreams: () => number;
}

/**
 * The metric families of the real-time layer. Names: `taskdash_` + what + unit (`_seconds`,
 * `_events`, `_jobs`, `_ratio`), counters end in `_total`. Labels take closed sets only.
 */
export function defineMetrics(registry: Registry, sources: () => MetricSources | undefined) {
  const f = new MetricFactory(registry);
  return {
    connects: f.counter('ws_connects_total', 'Sockets admitted to /events on this node.'),
    disconnects: f.counter('ws_disconnects_total', 'Sockets that left, by Socket.IO reason.', ['reason']),
    serverDisconnects: f.counter('ws_server_disconnects_total', 'Sockets the server closed, by error code.', [
      'code',
    ]),
    rejections: f.counter('ws_handshake_rejections_total', 'Handshakes refused, by error code.', ['code']),
    refused: f.counter(
      'ws_messages_refused_total',
      'Client messages refused by the limits (rate_limited, message_too_large).',
      ['code'],
    ),
    slowViewers: f.counter(
      'ws_slow_viewer_actions_total',
      'Actions taken against sockets that do not keep up: an execution viewer skipped until it drains, a socket disconnected.',
      ['action'],
    ),
    revocation: f.histogram(
      'permission_revocation_seconds',
      'From a permission change to its enforcement on this node.',
      BUCKETS.latency,
      ['kind'],
    ),
    published: f.counter('events_published_total', 'Events stored by this node, by type.', ['type']),
    emitted: f.counter('events_emitted_total', 'Events emitted live to stream rooms on this node.'),
    delivered: f.counter(
      'events_delivered_total',
      'Live event deliveries to local sockets (events x sockets in the room).',
    ),
    // Observed once per emitted event, hence the cheap histogram.
    publishToEmit: f.bucketHistogram(
      'event_publish_to_emit_seconds',
      'From occurredAt to the live emit on this node.',
      BUCKETS.latency,
    ),
    batchSize: f.histogram('publish_batch_events', 'Events per INSERT of the group commit.', BUCKETS.batch),
    writeSeconds: f.histogram('publish_write_seconds', 'Duration of one batch INSERT.', BUCKETS.latency),
    storeErrors: f.counter('event_store_errors_total', 'Failed event store writes (each is retried).'),
    publishRejected: f.counter('publish_rejections_total', 'Publishes refused with unavailable.', ['reason']),
    replayRequests: f.counter('replay_requests_total', 'Subscribes that named a position, by answer.', [
      'outcome',
    ]),
    replayEndings: f.counter('replay_endings_total', 'Replays by how they ended.', ['outcome']),
    replayed: f.counter('events_replayed_total', 'Missed events sent by replays.'),
    bridgeLag: f.histogram(
      'queue_bridge_lag_seconds',
      'From a queue event to its publish by the bridge.',
      BUCKETS.lag,
    ),
    queueDepth: f.gauge('queue_depth_jobs', 'Jobs per queue and state, at the last health sample.', [
      'queue',
      'state',
    ]),
    httpDuration: f.histogram(
      'http_request_duration_seconds',
      'HTTP requests by route template, method and status class, from arrival to the last byte.',
      BUCKETS.latency,
      ['method', 'route', 'status_class'],
    ),
    buildInfo: f.gauge('build_info', 'Always 1; its labels say which build runs.', ['version', 'revision', 'node_version']),
    alertsRaised: f.counter('alerts_raised_total', 'Alert notices published (first and repeats).', [
      'alertname',
      'repeat',
    ]),
    alertsSuppressed: f.counter(
      'alerts_suppressed_total',
      'Alert reports that published nothing, by reason.',
      ['alertname', 'reason'],
    ),
    alertsResolved: f.counter('alerts_resolved_total', 'Resolved notices published.', ['alertname']),
    alertsAcknowledged: f.counter('alerts_acknowledged_total', 'Alerts acknowledged by an operator.', [
      'alertname',
    ]),
    sampleCost: f.histogram(
      'health_sample_duration_seconds',
      'Synchronous cost of one health sample.',
      BUCKETS.sample,
    ),
    dependencyUp: f.gauge('dependency_up', '1 when the last probe of the dependency answered.', [
      'dependency',
    ]),
    dependencyRtt: f.gauge(
      'dependency_roundtrip_seconds',
      'Round trip of the last probe of the dependency.',
      ['dependency'],
    ),
    elu: f.gauge('event_loop_utilization_ratio', 'Event-loop utilisation over the last health interval.'),
    connections: f.gauge('ws_connections', 'Sockets connected to /events on this node.', [], function () {
      this.set(sources()?.namespace()?.sockets.size ?? 0);
    }),
    subscriptions: f.gauge(
      'ws_subscriptions',
      'Stream subscriptions of the sockets on this node.',
      [],
      function () {
        let total = 0;
        for (const socket of sources()?.namespace()?.sockets.values() ?? [])
          total += socket.data.subscriptions?.size ?? 0;
        this.set(total);
      },
    ),
    rooms: f.gauge('ws_stream_rooms', 'Stream rooms with sockets on this node.', [], function () {
      let rooms = 0;
      for (const room of sources()?.namespace()?.adapter.rooms.keys() ?? [])
        if (room.startsWith('s:')) rooms++;
      this.set(rooms);
    }),
    tracked: f.gauge('streams_tracked', 'Streams whose delivery order this node tracks.', [], function () {
      this.set(sources()?.trackedStreams() ?? 0);
    }),
    backlog: f.gauge(
      'publish_backlog_events',
      'Events accepted by the publisher and not stored yet.',
      [],
      function () {
        this.set(sources()?.publishBacklog() ?? 0);
      },
    ),
  };
}

export type WebsocketMetrics = ReturnType<typeof defineMetrics>;
