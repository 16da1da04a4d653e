import WebSocket from 'ws';

/** What became of one fuzzed frame. */
export type FrameOutcome = 'alive' | 'closed' | 'silent';

// A namespace that does not exist: the server answers its CONNECT with CONNECT_ERROR (`44`)
// and keeps the connection. Frames are read in order, so the answer proves every frame
// before it was read and handled.
const PROBE_NAMESPACE = '/__chaos_probe__';
const PROBE = `40${PROBE_NAMESPACE},`;
const PROBE_ANSWER = `44${PROBE_NAMESPACE},`;

/**
 * A raw WebSocket speaking Engine.IO by hand, for the fuzzer: each frame is followed by a
 * probe, so that the server is known to have handled the frame (the probe is answered, or
 * the frame made the server close the connection) before the next one is counted.
 */
export class FuzzConnection {
  private closed = false;
  private answered: (() => void) | undefined;
  private gone: (() => void) | undefined;

  private constructor(private readonly ws: WebSocket) {
    ws.on('message', (data: Buffer) => {
      if (data.toString().startsWith(PROBE_ANSWER)) this.answered?.();
    });
    ws.on('close', () => {
      this.closed = true;
      this.gone?.();
    });
    ws.on('error', () => undefined);
  }

  /** Resolves once the server's open packet arrived (undefined after 5 s or an error). */
  static async open(url: string): Promise<FuzzConnection | undefined> {
    const ws = await openEngineSocket(url);
    return ws && new FuzzConnection(ws);
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /**
   * Connects to `namespace` with `token` and waits for the server's answer (bounded): until
   * then the server has no socket there and would close the connection at the first event.
   */
  async authenticate(namespace: string, token: string): Promise<boolean> {
    const answered = new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => finish(false), 5000);
      const onMessage = (data: Buffer) => {
        const text = data.toString();
        if (text.startsWith(`40${namespace},`)) finish(true);
        else if (text.startsWith(`44${namespace},`)) finish(false);
      };
      const finish = (ok: boolean) => {
        clearTimeout(timer);
        this.ws.off('message', onMessage);
        this.ws.off('close', onClose);
        resolve(ok);
      };
      const onClose = () => finish(false);
      this.ws.on('message', onMessage);
      this.ws.once('close', onClose);
    });
    this.ws.send(`40${namespace},${JSON.stringify({ token })}`);
    return answered;
  }

  /**
   * Sends `frame` and a probe: `alive` when the probe is answered, `closed` when the server
   * closed the connection first (the frame was handled: it got the connection closed),
   * `silent` when neither happened within `timeoutMs`.
   */
  send(frame: string | Buffer, timeoutMs = 2000): Promise<FrameOutcome> {
    if (this.closed) return Promise.resolve('closed');
    return new Promise((resolve) => {
      const done = (outcome: FrameOutcome) => {
        clearTimeout(timer);
        this.answered = undefined;
        this.gone = undefined;
        resolve(outcome);
      };
      const timer = setTimeout(() => done('silent'), timeoutMs);
      this.answered = () => done('alive');
      this.gone = () => done('closed');
      this.ws.send(frame);
      this.ws.send(PROBE);
    });
  }

  close(): void {
    this.ws.terminate();
  }
}

/** A raw WebSocket speaking Engine.IO by hand; resolves once the server's open packet arrived (undefined after 5 s or an error). */
export function openEngineSocket(url: string): Promise<WebSocket | undefined> {
  return new Promise((resolve) => {
    const ws = new WebSocket(`${url.replace('http', 'ws')}/socket.io/?EIO=4&transport=websocket`);
    const timer = setTimeout(() => {
      ws.terminate();
      resolve(undefined);
    }, 5000);
    ws.once('message', () => {
      clearTimeout(timer);
      resolve(ws);
    });
    // Kept for the socket's life: an error after the open must not go unhandled.
    ws.on('error', () => {
      clearTimeout(timer);
      resolve(undefined);
    });
  });
}
