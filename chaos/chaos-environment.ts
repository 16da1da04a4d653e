import { randomUUID } from 'node:crypto';
import jwt from 'jsonwebtoken';
import { startBackendProcess, type BackendProcess } from '../test/backend-process';
import { ChaosDatabase } from './chaos-database';
import { ChaosRedis } from './chaos-redis';
import { ChaosWorker } from './chaos-worker';
import { freePort, rssMb } from './chaos.util';
import { FaultProxy, startRedisCluster, type RedisCluster } from '@taskdash/testkit';

const JWT_SECRET = 'chaos-harness-secret-0123456789abcdef';

/** One backend process, behind a front proxy that clients and the producer go through. */
export interface ChaosNode {
  name: string;
  backend: BackendProcess;
  front: FaultProxy;
  /** The harness stopped it on purpose (not a crash). */
  stopped: boolean;
  peakRssMb: number;
  /** Its own settings, kept so that `restart` starts the same node again. */
  env: Record<string, string>;
}

/**
 * Everything one scenario runs on: a dedicated Redis (port 6390+) and database, fault
 * proxies in front of both, two real backend processes (`dist/main.js`) and a front proxy
 * per node.
 */
export class ChaosEnvironment {
  readonly nodes: ChaosNode[] = [];
  readonly workers: ChaosWorker[] = [];
  crashes: string[] = [];
  private sampler: NodeJS.Timeout | undefined;

  private constructor(
    readonly redis: ChaosRedis,
    readonly redisProxy: FaultProxy,
    readonly database: ChaosDatabase,
    readonly pgProxy: FaultProxy,
    /** With `redis: 'cluster'`: the nodes' Redis (a fault proxy cannot sit in front of a cluster, whose clients follow redirects). */
    readonly cluster?: RedisCluster,
  ) {}

  static async start(env: Record<string, string> = {}, redisMode: 'standalone' | 'cluster' = 'standalone'): Promise<ChaosEnvironment> {
    const redis = new ChaosRedis(await freePort());
    await redis.start();
    const redisProxy = await new FaultProxy({ host: '127.0.0.1', port: redis.port }).start();
    const database = await ChaosDatabase.create(randomUUID().replace(/-/g, '').slice(0, 12));
    const pgProxy = await new FaultProxy({ host: '127.0.0.1', port: 5432 }).start();
    const cluster = redisMode === 'cluster' ? await startRedisCluster({ primaries: 3 }) : undefined;
    const environment = new ChaosEnvironment(redis, redisProxy, database, pgProxy, cluster);
    await Promise.all(['a', 'b'].map((name) => environment.addNode(name, env)));
    environment.sampler = setInterval(() => environment.sample(), 250);
    return environment;
  }

  backendEnv(extra: Record<string, string>): Record<string, string> & { DATABASE_URL: string; REDIS_KEY_PREFIX: string } {
    const db = new URL(this.database.url);
    db.port = String(this.pgProxy.port);
    return {
      DATABASE_URL: db.toString(),
      ...(this.cluster ? { REDIS_URL: this.cluster.url, REDIS_MODE: 'cluster' } : { REDIS_URL: `redis://${this.redisProxy.url}` }),
      REDIS_KEY_PREFIX: 'chaos',
      JWT_SECRET,
      LOG_LEVEL: 'error',
      CONNECTIONS_PER_SECOND_PER_IP: '100000',
      MAX_CONNECTIONS_PER_USER: '100000',
      MESSAGES_PER_SECOND: '1000',
      DRAIN_SPREAD_SEC: '1',
      SHUTDOWN_TIMEOUT_SEC: '10',
      HEALTH_SAMPLE_INTERVAL_MS: '0',
      QUEUE_OVERVIEW_INTERVAL_MS: '0',
      // The stored events are the checkers' ground truth: retention must not trim it. At full
      // size the queue's stream passes 60,000 events, and the default cap of 10,000 purged
      // the older jobs' events mid-run (they read as jobs that never ended).
      RETENTION_MAX_PER_STREAM: '100000000',
      ...extra,
    };
  }

  async addNode(name: string, env: Record<string, string>): Promise<ChaosNode> {
    const backend = await startBackendProcess(this.backendEnv({ NODE_ID: `chaos-${name}`, ...env }));
    const port = Number(new URL(backend.url).port);
    const front = await new FaultProxy({ host: '127.0.0.1', port }).start();
    const node: ChaosNode = { name, backend, front, stopped: false, peakRssMb: 0, env };
    this.watch(node);
    this.nodes.push(node);
    return node;
  }

  /**
   * Starts a stopped or killed node again (a new process, same settings) and points its
   * front proxy back at it, as a supervisor and a load balancer would.
   */
  async restart(node: ChaosNode): Promise<void> {
    if (node.backend.child.exitCode === null && node.backend.child.signalCode === null) throw new Error(`node ${node.name} still runs`);
    node.backend = await startBackendProcess(this.backendEnv({ NODE_ID: `chaos-${node.name}`, ...node.env }));
    node.stopped = false;
    node.front.retarget({ host: '127.0.0.1', port: Number(new URL(node.backend.url).port) });
    this.watch(node);
  }

  /** A worker process of its own (`cli/worker.cli.js`), for nodes started with QUEUE_WORKER=off. */
  async startWorker(env: Record<string, string> = {}): Promise<ChaosWorker> {
    const worker = new ChaosWorker(this.backendEnv(env));
    worker.child.once('exit', (code, signal) => {
      if (!worker.stopped) this.crashes.push(`worker exited (code ${code}, signal ${signal}): ${worker.output.join('').slice(-2000)}`);
    });
    this.workers.push(worker);
    return worker;
  }

  /** Reports an exit the harness did not cause as a crash. */
  private watch(node: ChaosNode): void {
    const { backend } = node;
    backend.child.once('exit', (code, signal) => {
      if (!node.stopped && node.backend === backend) this.crashes.push(`node ${node.name} exited (code ${code}, signal ${signal}): ${backend.output.join('').slice(-2000)}`);
    });
  }

  /** Front URLs, one per node (what clients connect to). */
  get urls(): string[] {
    return this.nodes.map((node) => `http://${node.front.url}`);
  }

  token(sub: string, role: 'user' | 'admin' = 'user'): string {
    return jwt.sign({ role }, JWT_SECRET, { algorithm: 'HS256', subject: sub, expiresIn: 6 * 3600, jwtid: randomUUID() });
  }

  /** Takes `node` out: its front proxy now leads to `to` (a load balancer's health check). */
  reroute(node: ChaosNode, to: ChaosNode): void {
    node.front.retarget({ host: '127.0.0.1', port: Number(new URL(to.backend.url).port) });
  }

  get peakRssMb(): number {
    this.sample();
    return Math.max(0, ...this.nodes.map((node) => node.peakRssMb));
  }

  rss(node: ChaosNode): number {
    return rssMb(node.backend.child.pid);
  }

  async close(): Promise<void> {
    if (this.sampler) clearInterval(this.sampler);
    for (const worker of this.workers) await worker.stop();
    for (const node of this.nodes) {
      node.stopped = true;
      await node.backend.kill();
      await node.front.close();
    }
    await this.redisProxy.close();
    await this.pgProxy.close();
    await this.redis.close();
    await this.cluster?.stop();
    await this.database.drop().catch(() => undefined);
  }

  private sample(): void {
    for (const node of this.nodes) {
      if (node.backend.child.exitCode === null) node.peakRssMb = Math.max(node.peakRssMb, rssMb(node.backend.child.pid, 'VmHWM'));
    }
  }
}
