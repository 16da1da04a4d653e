import type { Socket } from 'socket.io-client';

/** One `events` envelope as it crossed the wire (no client library has seen it yet). */
export interface WireEvent {
  stream: string;
  seq: number;
  id: string;
  type: string;
}

/** A subscribe the client sent, with the server's answer for each stream once it came. */
export interface WireSubscribe {
  stream: string;
  /** The position the client asked to resume after; undefined: start live. */
  requested: number | undefined;
  answer?: { ok: boolean; position?: number; recovered?: boolean; replayed?: number; reason?: string };
}

/** What happened on one Engine.IO connection, in arrival order. */
export type WireRecord =
  | { kind: 'event'; event: WireEvent }
  | { kind: 'subscribe'; subscribe: WireSubscribe }
  | { kind: 'revoked'; stream: string }
  | { kind: 'skipped'; stream: string; toSeq: number };

export interface WireConnection {
  id: string;
  records: WireRecord[];
}

const NAMESPACE = '/events';

/**
 * Decodes a Socket.IO v5 packet string (`2/events,12["name",...]`): type, namespace, ack id,
 * JSON data. Binary packets never carry events, so they are not decoded.
 */
export function decodePacket(
  data: string,
): { type: number; nsp: string; ackId: number | undefined; args: unknown } | undefined {
  const type = Number(data[0]);
  let i = 1;
  let nsp = '/';
  if (data[i] === '/') {
    const comma = data.indexOf(',', i);
    if (comma < 0) return { type, nsp: data.slice(i), ackId: undefined, args: undefined };
    nsp = data.slice(i, comma);
    i = comma + 1;
  }
  let digits = '';
  while (i < data.length && data[i]! >= '0' && data[i]! <= '9') digits += data[i++];
  const rest = data.slice(i);
  return {
    type,
    nsp,
    ackId: digits ? Number(digits) : undefined,
    args: rest ? (JSON.parse(rest) as unknown) : undefined,
  };
}

/**
 * Records the raw Engine.IO packets of a socket.io-client socket, both ways, per connection:
 * every `events` envelope exactly as the server sent it, every subscribe request with its
 * answer, and the notices that end or shift a stream (`access_revoked`, `output_skipped`).
 * It reads below every de-duplication, so a repeated or missing seq on the wire shows.
 */
export class WireTap {
  readonly connections: WireConnection[] = [];
  private current: (WireConnection & { pending: Map<number, WireSubscribe[]> }) | undefined;

  constructor(socket: Socket) {
    const manager = socket.io;
    const attach = () => {
      const engine = manager.engine;
      const connection = {
        id: `${this.connections.length}:${engine.id ?? '?'}`,
        records: [],
        pending: new Map<number, WireSubscribe[]>(),
      };
      this.connections.push(connection);
      this.current = connection;
      engine.on('packet', (packet: { type: string; data?: unknown }) => {
        if (this.current === connection && packet.type === 'message' && typeof packet.data === 'string')
          this.incoming(connection, packet.data);
      });
      engine.on('packetCreate', (packet: { type: string; data?: unknown }) => {
        if (this.current === connection && packet.type === 'message' && typeof packet.data === 'string')
          this.outgoing(connection, packet.data);
      });
    };
    manager.on('open', attach);
  }

  private incoming(
    connection: WireConnection & { pending: Map<number, WireSubscribe[]> },
    data: string,
  ): void {
    const packet = decodePacket(data);
    if (!packet || packet.nsp !== NAMESPACE) return;
    if (packet.type === 3 && packet.ackId !== undefined) {
      const waiting = connection.pending.get(packet.ackId);
      if (!waiting) return;
      connection.pending.delete(packet.ackId);
      const [answer] = packet.args as [{ ok: boolean; results?: Array<Record<string, unknown>> }];
      for (const subscribe of waiting) {
        const result = answer.ok ? answer.results?.find((r) => r.stream === subscribe.stream) : undefined;
        const position = (result?.position as { seq?: number } | undefined)?.seq;
        subscribe.answer = {
          ok: answer.ok && result?.ok === true,
          ...(position !== undefined ? { position } : {}),
          ...(typeof result?.recovered === 'boolean' ? { recovered: result.recovered } : {}),
          ...(typeof result?.replayed === 'number' ? { replayed: result.replayed } : {}),
          ...(typeof result?.reason === 'string' ? { reason: result.reason } : {}),
        };
      }
      return;
    }
    if (packet.type !== 2 || !Array.isArray(packet.args)) return;
    const [name, body] = packet.args as [string, unknown];
    if (name === 'events' && Array.isArray(body)) {
      for (const e of body as Array<Record<string, unknown>>) {
        connection.records.push({
          kind: 'event',
          event: { stream: String(e.stream), seq: Number(e.seq), id: String(e.id), type: String(e.type) },
        });
      }
    } else if (name === 'access_revoked') {
      connection.records.push({ kind: 'revoked', stream: String((body as { stream: unknown }).stream) });
    } else if (name === 'output_skipped') {
      const notice = body as { stream: unknown; toSeq: unknown };
      connection.records.push({
        kind: 'skipped',
        stream: String(notice.stream),
        toSeq: Number(notice.toSeq),
      });
    }
  }

  private outgoing(
    connection: WireConnection & { pending: Map<number, WireSubscribe[]> },
    data: string,
  ): void {
    const packet = decodePacket(data);
    if (!packet || packet.nsp !== NAMESPACE || packet.type !== 2 || !Array.isArray(packet.args)) return;
    const [name, body] = packet.args as [
      string,
      { streams?: Array<{ stream: string; position?: { seq: number } }> },
    ];
    if (name !== 'subscribe' || !body?.streams) return;
    const subscribes = body.streams.map((s) => ({ stream: s.stream, requested: s.position?.seq }));
    for (const subscribe of subscribes) connection.records.push({ kind: 'subscribe', subscribe });
    if (packet.ackId !== undefined) connection.pending.set(packet.ackId, subscribes);
  }
}
