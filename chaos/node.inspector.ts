import WebSocket from 'ws';

interface RemoteObject {
  objectId?: string;
  value?: unknown;
}

// Counts every EventEmitter in the heap and its listeners, by constructor name, and the
// handles keeping the event loop alive, all in one turn of the backend's event loop. The
// database pools are counted apart: they grow and shrink with the load by design (up to
// their size), which is not what a leak check is after. That is the pg pools themselves,
// their clients (configured for `dbPorts`) with their connections and sockets, pg queries,
// and of the active handles, each open pool socket and each idle client's idle timer. Prototypes
// and odd objects that throw on the way are skipped (they hold no listeners of their own).
const COUNT = `function (dbPorts) {
  const own = (e) => Object.prototype.hasOwnProperty.call(e, '_events');
  const emitters = [];
  const db = new Set();
  const pool = { sockets: 0, timers: 0 };
  for (const e of this) {
    try {
      if (!own(e)) continue;
      emitters.push(e);
      // A pg query outlives its client's hold on it for a while (its promise, a callback).
      if (typeof e.handleRowDescription === 'function' && typeof e.handleCommandComplete === 'function') {
        db.add(e);
        continue;
      }
      if (Array.isArray(e._idle) && Array.isArray(e._clients)) {
        db.add(e);
        for (const item of e._idle) if (item.timeoutId && item.timeoutId.hasRef()) pool.timers++;
        continue;
      }
      if (!e.connectionParameters || !dbPorts.includes(Number(e.connectionParameters.port))) continue;
      const connection = e.connection;
      for (const part of [e, connection, connection && connection.stream, e.activeQuery, ...(e.queryQueue || [])]) if (part) db.add(part);
    } catch {}
  }
  const byType = {};
  for (const e of emitters) {
    try {
      const isSocket = typeof e.remotePort !== 'undefined' || e._handle !== undefined;
      if (db.has(e) || (isSocket && dbPorts.includes(e.remotePort))) {
        if (isSocket && e._handle) pool.sockets++;
        continue;
      }
      let listeners = 0;
      for (const name of e.eventNames()) listeners += e.listenerCount(name);
      const type = (e.constructor && e.constructor.name) || '?';
      const entry = byType[type] || (byType[type] = [0, 0]);
      entry[0]++;
      entry[1] += listeners;
    } catch {}
  }
  const resources = {};
  for (const type of process.getActiveResourcesInfo()) resources[type] = (resources[type] || 0) + 1;
  return { byType, pool, resources };
}`;

/** What the heap holds, with the database pool's connections counted apart. */
export interface HeapCount {
  emitters: number;
  listeners: number;
  byType: Record<string, [emitters: number, listeners: number]>;
  /** Handles, requests and timers keeping the event loop alive, less the database pools' sockets and idle timers. */
  activeResources: number;
  /** The same by kind (`Timeout`, `TCPSocketWrap`, …), the pools' sockets and idle timers taken out. */
  resourceTypes: Record<string, number>;
  /** Open connections of the database pool. */
  dbConnections: number;
}

/**
 * The V8 inspector of a backend started with `--inspect=127.0.0.1:0` (the churn scenario
 * only): a full garbage collection on demand, so that heap figures compare live objects and
 * not garbage, the heap in use, and every EventEmitter's listeners counted straight from
 * the heap. Nothing in the backend knows about it.
 */
export class NodeInspector {
  private next = 0;
  private readonly waiting = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();

  private constructor(private readonly ws: WebSocket) {
    ws.on('message', (data: Buffer) => {
      const message = JSON.parse(data.toString()) as { id?: number; result?: unknown; error?: { message: string } };
      const waiter = message.id === undefined ? undefined : this.waiting.get(message.id);
      if (!waiter) return;
      this.waiting.delete(message.id!);
      if (message.error) waiter.reject(new Error(message.error.message));
      else waiter.resolve(message.result);
    });
  }

  /** Connects to the inspector whose address the backend printed on stderr. */
  static async open(output: readonly string[]): Promise<NodeInspector> {
    const url = /ws:\/\/127\.0\.0\.1:\d+\/[0-9a-f-]+/.exec(output.join(''))?.[0];
    if (!url) throw new Error('the backend printed no inspector address (was it started with --inspect?)');
    const ws = new WebSocket(url);
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    return new NodeInspector(ws);
  }

  /** Two full collections (the second frees what the first's finalizers released). */
  async collectGarbage(): Promise<void> {
    await this.call('HeapProfiler.collectGarbage');
    await this.call('HeapProfiler.collectGarbage');
  }

  async heapUsedBytes(): Promise<number> {
    const { result } = (await this.call('Runtime.evaluate', { expression: 'process.memoryUsage().heapUsed', returnByValue: true })) as { result: RemoteObject };
    return Number(result.value);
  }

  /** EventEmitters alive in the heap and their listeners, and the active handles; `dbPorts`: where the database pool connects. */
  async count(dbPorts: number[]): Promise<HeapCount> {
    const objectGroup = 'chaos-listeners';
    try {
      const proto = (await this.call('Runtime.evaluate', { expression: "require('node:events').EventEmitter.prototype", includeCommandLineAPI: true, objectGroup })) as { result: RemoteObject };
      const { objects } = (await this.call('Runtime.queryObjects', { prototypeObjectId: proto.result.objectId, objectGroup })) as { objects: RemoteObject };
      const call = { objectId: objects.objectId, functionDeclaration: COUNT, arguments: [{ value: dbPorts }], returnByValue: true, objectGroup };
      const { result } = (await this.call('Runtime.callFunctionOn', call)) as { result: RemoteObject };
      const value = result.value as { byType: HeapCount['byType']; pool: { sockets: number; timers: number }; resources: Record<string, number> };
      const { byType, pool, resources } = value;
      resources.TCPSocketWrap = (resources.TCPSocketWrap ?? 0) - pool.sockets;
      resources.Timeout = (resources.Timeout ?? 0) - pool.timers;
      const sum = (i: 0 | 1) => Object.values(byType).reduce((n, counts) => n + counts[i], 0);
      const activeResources = Object.values(resources).reduce((n, count) => n + count, 0);
      return { emitters: sum(0), listeners: sum(1), byType, activeResources, resourceTypes: resources, dbConnections: pool.sockets };
    } finally {
      await this.call('Runtime.releaseObjectGroup', { objectGroup }).catch(() => undefined);
    }
  }

  close(): void {
    this.ws.close();
  }

  private call(method: string, params: object = {}): Promise<unknown> {
    const id = ++this.next;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(id);
        reject(new Error(`inspector ${method} timed out`));
      }, 30_000);
      this.waiting.set(id, {
        resolve: (value) => (clearTimeout(timer), resolve(value)),
        reject: (error) => (clearTimeout(timer), reject(error)),
      });
      this.ws.send(JSON.stringify({ id, method, params }));
    });
  }
}
