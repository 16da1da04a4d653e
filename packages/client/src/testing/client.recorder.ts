import type { EventEnvelope } from '@taskdash/contract';
import type { RealtimeClient } from '../realtime.client';
import type {
  AccessRevokedNotice,
  ConnectionState,
  ReloadNotice,
  StateChange,
  SubscriptionFailure,
  TokenExpiry,
  TokenRefresh,
} from '../realtime-client.types';
import type { RealtimeException } from '../realtime.exception';

/** Records everything a client reports, for assertions. */
export class ClientRecorder {
  readonly events: EventEnvelope[] = [];
  readonly reloads: ReloadNotice[] = [];
  readonly changes: StateChange[] = [];
  readonly errors: RealtimeException[] = [];
  readonly revoked: AccessRevokedNotice[] = [];
  readonly failures: SubscriptionFailure[] = [];
  readonly expiries: TokenExpiry[] = [];
  readonly refreshes: TokenRefresh[] = [];

  constructor(client: RealtimeClient) {
    client.on('event', (e) => this.events.push(e));
    client.on('reload', (n) => this.reloads.push(n));
    client.on('state', (c) => this.changes.push(c));
    client.on('error', (e) => this.errors.push(e));
    client.on('access_revoked', (n) => this.revoked.push(n));
    client.on('subscription_failed', (f) => this.failures.push(f));
    client.on('token_expiring', (e) => this.expiries.push(e));
    client.on('token_refreshed', (r) => this.refreshes.push(r));
  }

  get states(): ConnectionState[] {
    return this.changes.map((c) => c.state);
  }

  /** The seqs delivered for one stream, in delivery order. */
  seqs(stream: string): number[] {
    return this.events.filter((e) => e.stream === stream).map((e) => e.seq);
  }
}
