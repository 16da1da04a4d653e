import type { ConnectionState, ReloadNotice, StateChange } from '@taskdash/client';
import { Emitter } from './emitter';

/** What the connection indicator shows: the client's state, and the streams that need a reload. */
export class ConnectionStore extends Emitter {
  state: ConnectionState = 'disconnected';
  /** Why the connection failed or was lost, when the server or the client said so. */
  reason: string | undefined;
  /** When the state last changed (ms since the epoch). */
  since = Date.now();
  private readonly reloads = new Map<string, ReloadNotice>();

  get reloadNeeded(): ReloadNotice[] {
    return [...this.reloads.values()];
  }

  onState(change: StateChange): void {
    this.state = change.state;
    this.reason = change.error?.message;
    this.since = Date.now();
    this.changed();
  }

  onReload(notice: ReloadNotice): void {
    this.reloads.set(notice.stream, notice);
    this.changed();
  }

  reloaded(): void {
    this.reloads.clear();
    this.changed();
  }
}
