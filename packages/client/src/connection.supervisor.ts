import {
  ERROR_CODES,
  ErrorCode,
  EVENTS_NAMESPACE,
  type ClientToServerEvents,
  type DisconnectNotice,
  type ErrorCodeInfo,
  type ServerToClientEvents,
} from '@taskdash/contract';
import { Manager, type Socket } from 'socket.io-client';
import { ReconnectBackoff } from './reconnect.backoff';
import type { ResolvedRealtimeClientOptions } from './realtime-client.options';
import type { ConnectionState, StateChange } from './realtime-client.types';
import { RealtimeException, type ClientErrorPayload } from './realtime.exception';

export type RealtimeSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

/** How the supervisor tells the client what happened to the connection. */
export interface SupervisorHandlers {
  onState(change: StateChange): void;
  /** The socket is connected; settles once the remembered streams are subscribed again. */
  onOnline(reconnected: boolean): Promise<void>;
  /** The socket is disconnected; answers on the wire will never come. */
  onOffline(): void;
  onError(error: RealtimeException): void;
}

const KNOWN_CODES: Readonly<Record<string, ErrorCodeInfo | undefined>> = ERROR_CODES;

/**
 * Owns the socket's life: the handshake token, the connection state, and the decision
 * whether and when to reconnect. socket.io-client reconnects by itself only after a lost
 * transport; after a refused handshake or a server-side close it does not, so those
 * reconnections are scheduled here, with the same backoff (or the server's `retryAfterMs`).
 */
export class ConnectionSupervisor {
  readonly socket: RealtimeSocket;
  private current: ConnectionState = 'disconnected';
  private hasConnected = false;
  /** Changes on every connect and disconnect, so late answers of an old connection are ignored. */
  private generationCounter = 0;
  /** Changes whenever a pending token request must no longer start a handshake. */
  private authAttempt = 0;
  private notice: DisconnectNotice | undefined;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private readonly backoff: ReconnectBackoff;

  constructor(
    private readonly options: ResolvedRealtimeClientOptions,
    private readonly handlers: SupervisorHandlers,
  ) {
    const { reconnection } = options;
    const manager = new Manager(options.url, {
      ...options.managerOptions,
      path: options.path,
      transports: options.transports,
      autoConnect: false,
      reconnection: true,
      reconnectionAttempts: reconnection.attempts,
      reconnectionDelay: reconnection.delayMs,
      reconnectionDelayMax: reconnection.delayMaxMs,
      randomizationFactor: reconnection.randomizationFactor,
      timeout: options.connectTimeoutMs,
    });
    this.socket = manager.socket(EVENTS_NAMESPACE, { auth: (cb) => this.authenticate(cb) });
    this.backoff = new ReconnectBackoff(reconnection);
    this.socket.on('connect', () => this.onConnect());
    this.socket.on('disconnect', () => this.onDisconnect());
    this.socket.on('connect_error', (error) => this.onConnectError(error));
    this.socket.on('disconnect_reason', (notice) => this.onNotice(notice));
    manager.on('reconnect_failed', () =>
      this.fail({ code: 'reconnect_failed', message: 'Gave up after the configured reconnection attempts' }),
    );
  }

  get state(): ConnectionState {
    return this.current;
  }

  get generation(): number {
    return this.generationCounter;
  }

  connect(): void {
    if (this.isActive()) return;
    // A fresh start reports `connected`, not `resumed`, even if streams are remembered.
    this.hasConnected = false;
    this.backoff.reset();
    this.setState('connecting');
    this.socket.io.reconnection(true);
    this.socket.connect();
  }

  close(): void {
    if (this.current === 'disconnected') return;
    this.stop();
    this.setState('disconnected');
    this.socket.disconnect();
  }

  private isActive(): boolean {
    return this.current !== 'disconnected' && this.current !== 'failed';
  }

  private authenticate(cb: (data: object) => void): void {
    const attempt = ++this.authAttempt;
    const { token } = this.options;
    if (typeof token === 'string') return cb({ token });
    new Promise<string>((resolve) => resolve(token())).then(
      (value) => {
        if (attempt === this.authAttempt && this.isActive()) cb({ token: value });
      },
      (error: unknown) => {
        if (attempt !== this.authAttempt || !this.isActive()) return;
        this.handlers.onError(
          new RealtimeException('token_provider_failed', 'The token provider failed', { cause: error }),
        );
        // Not connected yet, so this only abandons the attempt; a later one asks again.
        this.authAttempt++;
        this.socket.disconnect();
        this.scheduleReconnect(undefined);
      },
    );
  }

  private onConnect(): void {
    this.clearTimer();
    this.backoff.reset();
    this.notice = undefined;
    this.socket.io.reconnection(true);
    const generation = ++this.generationCounter;
    const reconnected = this.hasConnected;
    this.hasConnected = true;
    const done = (): void => {
      if (generation === this.generationCounter && this.socket.connected) {
        this.setState(reconnected ? 'resumed' : 'connected');
      }
    };
    this.handlers.onOnline(reconnected).then(done, (error: unknown) => {
      this.handlers.onError(toException(error));
      done();
    });
  }

  private onDisconnect(): void {
    this.generationCounter++;
    this.handlers.onOffline();
    if (!this.isActive()) return; // close() or fail() did it
    const notice = this.notice;
    this.notice = undefined;
    const error = notice ? { code: notice.code, message: notice.message } : undefined;
    if (notice && (!notice.reconnect || !this.mayReconnect(notice.code))) return this.fail(error);
    this.setState('reconnecting', error);
    // With a notice we took over the timing; without one, a socket that is no longer
    // active was closed by the server and socket.io-client will not come back by itself.
    if (notice || !this.socket.active) this.scheduleReconnect(notice?.retryAfterMs);
  }

  private onNotice(notice: DisconnectNotice): void {
    this.notice = notice;
    // The server is about to close the socket and said whether and when to come back, so
    // socket.io-client's own immediate backoff must not reconnect first.
    this.socket.io.reconnection(false);
  }

  private onConnectError(error: Error & { data?: unknown }): void {
    if (!this.isActive()) return;
    const payload = toPayload(error.data);
    if (payload) this.handlers.onError(RealtimeException.from(payload));
    if (payload && !this.mayReconnect(payload.code)) return this.fail(payload);
    // A refused handshake leaves the socket inactive; a transport failure does not, and
    // socket.io-client retries it with its backoff.
    if (!this.socket.active) this.scheduleReconnect(undefined);
  }

  private mayReconnect(code: string): boolean {
    const info = KNOWN_CODES[code];
    // Unknown codes (a newer server) are treated as transient.
    if (info && !info.reconnect) return false;
    // A fixed token that expired stays expired; only a token provider can refresh it.
    return !(code === ErrorCode.TokenExpired && typeof this.options.token === 'string');
  }

  private scheduleReconnect(retryAfterMs: number | undefined): void {
    this.clearTimer();
    const delay = retryAfterMs !== undefined ? this.backoff.after(retryAfterMs) : this.backoff.next();
    if (delay === undefined) {
      return this.fail({
        code: 'reconnect_failed',
        message: 'Gave up after the configured reconnection attempts',
      });
    }
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.socket.io.reconnection(true);
      this.socket.connect();
    }, delay);
  }

  private fail(error: ClientErrorPayload | undefined): void {
    if (!this.isActive()) return;
    this.stop();
    this.setState('failed', error);
    this.socket.disconnect();
  }

  private stop(): void {
    this.clearTimer();
    this.notice = undefined;
    this.authAttempt++;
  }

  private clearTimer(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private setState(state: ConnectionState, error?: ClientErrorPayload): void {
    if (state === this.current) return;
    const previous = this.current;
    this.current = state;
    this.handlers.onState(error ? { state, previous, error } : { state, previous });
  }
}

function toPayload(data: unknown): ClientErrorPayload | undefined {
  if (typeof data !== 'object' || data === null) return undefined;
  const { code, message } = data as Record<string, unknown>;
  if (typeof code !== 'string') return undefined;
  return { code: code as ClientErrorPayload['code'], message: typeof message === 'string' ? message : code };
}

function toException(error: unknown): RealtimeException {
  if (error instanceof RealtimeException) return error;
  return new RealtimeException('internal_error', error instanceof Error ? error.message : String(error), {
    cause: error,
  });
}
