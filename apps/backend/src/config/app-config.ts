import { hostname } from 'node:os';
import { DEFAULT_ALERT_RULES, type AlertRule } from '../monitoring/alerts/alert-rule.schema';
import { CLAUDE_PROFILE, claudeProfile, type ExecutionProfile } from '../executions/execution-profile.schema';
import { drainReadinessDelayMs, EnvSchema, type Env, type JwtAlgorithm, type RoleName } from './app-config.schema';

/** Development secret used only when no JWT_SECRET is set outside production. */
export const DEV_JWT_SECRET = 'taskdash-development-secret-do-not-use-in-production';

export interface AppConfig {
  env: Env['NODE_ENV'];
  port: number;
  host: string;
  database: { url: string } | { embeddedDir: string };
  redisUrl: string | undefined;
  /** Whether REDIS_URL is one node of a Redis Cluster. */
  redisMode: Env['REDIS_MODE'];
  /** How stored events reach the other nodes (websocket/delivery). */
  eventFanout: Env['EVENT_FANOUT'];
  jwt: {
    algorithms: JwtAlgorithm[];
    /** Secret (HS*) or PEM public key (RS*, ES*). */
    verifyKey: string;
    signKey: string | undefined;
    issuer: string | undefined;
    audience: string | undefined;
    clockToleranceSec: number;
    usingDevSecret: boolean;
    /** Keys from an identity provider's JWKS instead of `verifyKey` (then empty). */
    jwks: JwksConfig | undefined;
    /** Where the user id and role(s) are in the claims, and what the provider's role names mean. */
    claims: ClaimsConfig;
  };
  /** Each node's mirror of the session tables (auth/session-mirror.ts). */
  sessions: { cacheRefreshMs: number; cacheMaxRows: number };
  allowedOrigins: string[];
  redisKeyPrefix: string;
  events: { replayMaxEvents: number; retentionMaxPerStream: number; retentionMaxAgeMs: number; maxSubscriptionsPerSocket: number };
  /** The one bound on waiting for the database (HTTP, transactions, group commit) and HTTP admission. */
  writes: { timeoutMs: number; poolSize: number; maxConcurrent: number; maxQueued: number };
  limits: {
    maxMessageBytes: number;
    messagesPerSecond: number;
    maxConnectionsPerUser: number;
    connectionsPerSecondPerIp: number;
    refreshWarningMs: number;
    expiryGraceMs: number;
  };
  connections: {
    maxOutgoingBytes: number;
    drainSpreadMs: number;
    pingIntervalMs: number;
    pingTimeoutMs: number;
    transports: Array<'websocket' | 'polling'>;
  };
  log: { level: Env['LOG_LEVEL']; format: 'json' | 'pretty' };
  /** On SIGTERM, readiness answers 503 this long before sockets drain and the listener closes. */
  drainReadinessDelayMs: number;
  /** The whole shutdown, from SIGTERM (the readiness delay included). */
  shutdownTimeoutMs: number;
  /** Health sampling, alerts and Prometheus metrics (monitoring/). */
  monitoring: {
    nodeId: string;
    /** From BUILD_REVISION; undefined: read from the checkout. */
    buildRevision: string | undefined;
    metricsEnabled: boolean;
    metricsToken: string | undefined;
    /** 0: no health sampling. */
    healthIntervalMs: number;
    alertRules: AlertRule[];
    alertGroupWindowMs: number;
    alertRepeatIntervalMs: number;
  };
  /** Agent executions: what may run, how output is chunked, how viewers are protected (executions/). */
  executions: {
    /** Named commands; always includes `claude`. */
    profiles: Record<string, ExecutionProfile>;
    workdir: string | undefined;
    /** The environment executed commands get: only the passed-through variables. */
    env: Record<string, string>;
    timeoutMs: number;
    killGraceMs: number;
    chunkBytes: number;
    chunkWindowMs: number;
    inflightBytes: number;
    viewerMaxBufferBytes: number;
    catchUpBytesPerSec: number;
  };
  /** Job queues (BullMQ); they run only with Redis. */
  queue: {
    worker: Env['QUEUE_WORKER'];
    concurrency: number;
    jobLockMs: number;
    bridge: boolean;
    coalesceMs: number;
    lockTtlMs: number;
    overviewIntervalMs: number;
  };
}

export interface JwksConfig {
  url: string;
  /** Between scheduled refreshes. */
  refreshMs: number;
  /** Least time between refetches caused by an unknown `kid`. */
  cooldownMs: number;
  timeoutMs: number;
}

export interface ClaimsConfig {
  /** A claim name, or a dotted path when no claim has the whole name. */
  userId: string;
  role: string;
  /** Provider role name -> our role; undefined: our role names as they are. */
  roleMap: Record<string, RoleName> | undefined;
}

/** Thrown with one line per invalid variable, each naming it. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration: ${problems.join('; ')}`);
    this.name = 'ConfigError';
  }
}

const pem = (value: string | undefined): string | undefined => value?.replace(/\\n/g, '\n');

/** Validates the environment once; throws `ConfigError` naming each bad variable. */
export function loadConfig(source: NodeJS.ProcessEnv = process.env): AppConfig {
  // Empty strings count as unset, as in most .env tooling.
  const cleaned = Object.fromEntries(Object.entries(source).filter(([, value]) => value !== ''));
  const parsed = EnvSchema.safeParse(cleaned);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((issue) => `${issue.path.join('.') || 'environment'} ${issue.message}`),
    );
  }
  const env = parsed.data;
  const hs = env.JWT_ALGORITHMS.some((alg) => alg.startsWith('HS'));
  const secret = env.JWT_SECRET ?? DEV_JWT_SECRET;
  return {
    env: env.NODE_ENV,
    port: env.PORT,
    host: env.HOST,
    database: env.DATABASE_URL ? { url: env.DATABASE_URL } : { embeddedDir: env.EMBEDDED_DATA_DIR },
    redisUrl: env.REDIS_URL,
    redisMode: env.REDIS_MODE,
    eventFanout: env.EVENT_FANOUT,
    jwt: {
      algorithms: env.JWT_ALGORITHMS,
      verifyKey: hs ? secret : (pem(env.JWT_PUBLIC_KEY) ?? ''),
      signKey: hs ? secret : pem(env.JWT_PRIVATE_KEY),
      issuer: env.JWT_ISSUER,
      audience: env.JWT_AUDIENCE,
      clockToleranceSec: env.JWT_CLOCK_TOLERANCE_SEC,
      usingDevSecret: hs && !env.JWT_SECRET,
      jwks: env.JWT_JWKS_URL
        ? {
            url: env.JWT_JWKS_URL,
            refreshMs: env.JWT_JWKS_REFRESH_SEC * 1000,
            cooldownMs: env.JWT_JWKS_COOLDOWN_SEC * 1000,
            timeoutMs: env.JWT_JWKS_TIMEOUT_MS,
          }
        : undefined,
      claims: { userId: env.JWT_USER_ID_CLAIM, role: env.JWT_ROLE_CLAIM, roleMap: env.JWT_ROLE_MAP },
    },
    sessions: { cacheRefreshMs: env.SESSION_CACHE_REFRESH_SEC * 1000, cacheMaxRows: env.SESSION_CACHE_MAX_ROWS },
    allowedOrigins: env.ALLOWED_ORIGINS,
    redisKeyPrefix: env.REDIS_KEY_PREFIX,
    events: {
      replayMaxEvents: env.REPLAY_MAX_EVENTS,
      retentionMaxPerStream: env.RETENTION_MAX_PER_STREAM,
      retentionMaxAgeMs: env.RETENTION_MAX_AGE_HOURS * 3600_000,
      maxSubscriptionsPerSocket: env.MAX_SUBSCRIPTIONS_PER_SOCKET,
    },
    writes: {
      timeoutMs: env.DATABASE_WRITE_TIMEOUT_MS,
      poolSize: env.DATABASE_POOL_SIZE,
      maxConcurrent: env.HTTP_MAX_CONCURRENT_WRITES,
      maxQueued: env.HTTP_MAX_QUEUED_WRITES,
    },
    limits: {
      maxMessageBytes: env.MAX_MESSAGE_BYTES,
      messagesPerSecond: env.MESSAGES_PER_SECOND,
      maxConnectionsPerUser: env.MAX_CONNECTIONS_PER_USER,
      connectionsPerSecondPerIp: env.CONNECTIONS_PER_SECOND_PER_IP,
      refreshWarningMs: env.TOKEN_REFRESH_WARNING_SEC * 1000,
      expiryGraceMs: env.TOKEN_EXPIRY_GRACE_SEC * 1000,
    },
    connections: {
      maxOutgoingBytes: env.MAX_OUTGOING_BYTES,
      drainSpreadMs: env.DRAIN_SPREAD_SEC * 1000,
      pingIntervalMs: env.PING_INTERVAL_MS,
      pingTimeoutMs: env.PING_TIMEOUT_MS,
      transports: env.SOCKET_TRANSPORTS,
    },
    log: { level: env.LOG_LEVEL, format: env.LOG_FORMAT ?? (env.NODE_ENV === 'production' ? 'json' : 'pretty') },
    drainReadinessDelayMs: drainReadinessDelayMs(env),
    shutdownTimeoutMs: env.SHUTDOWN_TIMEOUT_SEC * 1000,
    monitoring: {
      nodeId: env.NODE_ID ?? `${hostname()}:${process.pid}`,
      buildRevision: env.BUILD_REVISION,
      metricsEnabled: env.METRICS_ENABLED === 'on',
      metricsToken: env.METRICS_TOKEN,
      healthIntervalMs: env.HEALTH_SAMPLE_INTERVAL_MS,
      alertRules: env.ALERT_RULES ?? DEFAULT_ALERT_RULES,
      alertGroupWindowMs: env.ALERT_GROUP_WINDOW_MS,
      alertRepeatIntervalMs: env.ALERT_REPEAT_INTERVAL_MS,
    },
    executions: {
      profiles: { ...env.EXECUTION_PROFILES, [CLAUDE_PROFILE]: claudeProfile(env.CLAUDE_BINARY) },
      workdir: env.EXECUTION_WORKDIR,
      env: Object.fromEntries(
        env.EXECUTION_ENV_PASSTHROUGH.flatMap((name) => (cleaned[name] === undefined ? [] : [[name, String(cleaned[name])]])),
      ),
      timeoutMs: env.EXECUTION_TIMEOUT_SEC * 1000,
      killGraceMs: env.EXECUTION_KILL_GRACE_MS,
      chunkBytes: env.OUTPUT_CHUNK_BYTES,
      chunkWindowMs: env.OUTPUT_CHUNK_WINDOW_MS,
      inflightBytes: env.OUTPUT_INFLIGHT_BYTES,
      viewerMaxBufferBytes: env.VIEWER_MAX_BUFFER_BYTES,
      catchUpBytesPerSec: env.VIEWER_CATCH_UP_BYTES_PER_SEC,
    },
    queue: {
      worker: env.QUEUE_WORKER,
      concurrency: env.QUEUE_WORKER_CONCURRENCY,
      jobLockMs: env.QUEUE_JOB_LOCK_MS,
      bridge: env.QUEUE_BRIDGE === 'on',
      coalesceMs: env.QUEUE_PROGRESS_COALESCE_MS,
      lockTtlMs: env.QUEUE_BRIDGE_LOCK_TTL_MS,
      overviewIntervalMs: env.QUEUE_OVERVIEW_INTERVAL_MS,
    },
  };
}
