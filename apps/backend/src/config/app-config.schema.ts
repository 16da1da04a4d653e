import { z } from 'zod';
import { ExecutionProfilesEnvSchema } from '../executions/execution-profile.schema';
import { AlertRulesEnvSchema } from '../monitoring/alerts/alert-rule.schema';

const JWT_ALGORITHMS = [
  'HS256', 'HS384', 'HS512', 'RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512',
] as const;

const csv = (value: string | undefined): string[] =>
  (value ?? '')
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part.length > 0);

const url = (protocols: string[], name: string) =>
  z
    .string()
    .trim()
    .refine((value) => {
      try {
        return protocols.includes(new URL(value).protocol);
      } catch {
        return false;
      }
    }, `must be a ${name} URL (${protocols.map((p) => `${p}//`).join(' or ')}...)`);

const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);

/** The roles of auth/principal.types.ts (config may not import auth; a test keeps them equal). */
export const ROLE_NAMES = ['user', 'operator', 'admin'] as const;

/** `provider-name=role,...`: which provider role names mean which of our roles. */
const roleMap = z
  .string()
  .transform(csv)
  .pipe(
    z.array(
      z
        .string()
        .regex(new RegExp(`^[^=\\s]+=(${ROLE_NAMES.join('|')})$`), `must be provider-role=${ROLE_NAMES.join('|')} pairs, comma-separated`),
    ),
  )
  .transform((pairs) => Object.fromEntries(pairs.map((pair) => pair.split('=') as [string, (typeof ROLE_NAMES)[number]])));

/** A claim name, or a dotted path into nested claims (`realm_access.roles`). */
const claimName = z.string().trim().min(1).max(200);

/**
 * Every environment variable the backend reads, with its default. Parsed once at start-up
 * by `loadConfig`; nothing else reads `process.env`.
 */
export const EnvSchema = z
  .object({
    NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
    /** HTTP and Socket.IO port. @default 3000 */
    PORT: int(0, 65535).default(3000),
    HOST: z.string().default('0.0.0.0'),
    /** PostgreSQL URL; without it the backend runs on an embedded PGlite database. */
    DATABASE_URL: url(['postgres:', 'postgresql:'], 'PostgreSQL').optional(),
    /** Directory of the embedded database. @default .data/pglite */
    EMBEDDED_DATA_DIR: z.string().default('.data/pglite'),
    /** Redis URL; without it the backend runs as a single node. */
    REDIS_URL: url(['redis:', 'rediss:'], 'Redis').optional(),
    /** `cluster`: REDIS_URL names one node of a Redis Cluster, the others are discovered. @default standalone */
    REDIS_MODE: z.enum(['standalone', 'cluster']).default('standalone'),
    /**
     * How stored events reach the other nodes: `interest` (a node receives a stream's events
     * only while one of its sockets follows it, over Redis sharded pub/sub) or `broadcast`
     * (every node receives every event). @default interest
     */
    EVENT_FANOUT: z.enum(['interest', 'broadcast']).default('interest'),
    /** Shared secret for HS* tokens. At least 32 characters. */
    JWT_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),
    /** PEM public key for RS*, ES* tokens (literal newlines or \n escapes). */
    JWT_PUBLIC_KEY: z.string().optional(),
    /** PEM private key, only for `pnpm token` with RS*, ES* keys. */
    JWT_PRIVATE_KEY: z.string().optional(),
    /**
     * JWKS URL of an identity provider (Keycloak, Auth0, ...): keys are chosen by `kid`, cached
     * and refreshed. Instead of JWT_PUBLIC_KEY; needs RS*, PS* or ES* algorithms.
     */
    JWT_JWKS_URL: url(['https:', 'http:'], 'HTTP(S)').optional(),
    /** Seconds between scheduled JWKS refreshes. @default 600 */
    JWT_JWKS_REFRESH_SEC: int(1, 86_400).default(600),
    /** Least seconds between refetches caused by a token with an unknown `kid`. @default 30 */
    JWT_JWKS_COOLDOWN_SEC: int(0, 3600).default(30),
    /** Longest a JWKS request may take, in ms. @default 5000 */
    JWT_JWKS_TIMEOUT_MS: int(100, 60_000).default(5000),
    /** Claim holding the user id (a name, or a dotted path). @default sub */
    JWT_USER_ID_CLAIM: claimName.default('sub'),
    /** Claim holding the role or a list of roles (a name such as `https://example.com/roles`, or a dotted path such as `realm_access.roles`). @default role */
    JWT_ROLE_CLAIM: claimName.default('role'),
    /** `provider-role=role` pairs, comma-separated; when set, only mapped names count. @default our role names as they are */
    JWT_ROLE_MAP: roleMap.optional(),
    /** Comma-separated allow-list of algorithms. @default HS256 */
    JWT_ALGORITHMS: z
      .string()
      .default('HS256')
      .transform(csv)
      .pipe(z.array(z.enum(JWT_ALGORITHMS)).min(1, 'must name at least one algorithm')),
    JWT_ISSUER: z.string().min(1).optional(),
    JWT_AUDIENCE: z.string().min(1).optional(),
    /** Accepted clock skew in seconds. @default 5 */
    JWT_CLOCK_TOLERANCE_SEC: int(0, 300).default(5),
    /** Comma-separated allowed browser origins; `*` allows any (development only). */
    ALLOWED_ORIGINS: z.string().default('http://localhost:3000,http://localhost:5173').transform(csv),
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    /** `json` (one line per entry) or `pretty` (readable). @default json in production */
    LOG_FORMAT: z.enum(['json', 'pretty']).optional(),
    /** Prefix of every Redis key and channel this app uses. @default taskdash */
    REDIS_KEY_PREFIX: z.string().regex(/^[A-Za-z0-9:_-]{1,64}$/, 'must be 1-64 of A-Z a-z 0-9 : _ -').default('taskdash'),
    /**
     * The longest an HTTP request, a domain transaction or an event append waits for the
     * database, in ms; past it the answer is `503 unavailable` with `Retry-After` (HTTP) or
     * `outcome_unknown` (a publish). @default 10000
     */
    DATABASE_WRITE_TIMEOUT_MS: int(100, 600_000).default(10_000),
    /** PostgreSQL connections per node (the `pg` pool). @default 10 */
    DATABASE_POOL_SIZE: int(1, 1000).default(10),
    /**
     * HTTP writes (POST, PUT, PATCH, DELETE) run at once per node; more wait in line, up to
     * HTTP_MAX_QUEUED_WRITES, and beyond that get `503 unavailable` at once. @default 32
     */
    HTTP_MAX_CONCURRENT_WRITES: int(1, 10_000).default(32),
    /** HTTP writes waiting for their turn per node before new ones are shed with 503. @default 256 */
    HTTP_MAX_QUEUED_WRITES: int(0, 100_000).default(256),
    /** Most missed events replayed on resubscribe; beyond it: too_many_missed. @default 10000 */
    REPLAY_MAX_EVENTS: int(1, 1_000_000).default(10_000),
    /** Events kept per stream. @default 10000 */
    RETENTION_MAX_PER_STREAM: int(1, 100_000_000).default(10_000),
    /** Hours events are kept. @default 168 (7 days) */
    RETENTION_MAX_AGE_HOURS: int(1, 100_000).default(168),
    /** Most streams one socket may subscribe to. @default 200 */
    MAX_SUBSCRIPTIONS_PER_SOCKET: int(1, 100_000).default(200),
    /** Largest client socket message in bytes. @default 65536 */
    MAX_MESSAGE_BYTES: int(256, 16 * 1024 * 1024).default(65_536),
    /** Sustained client messages per second per socket (burst: twice this). @default 20 */
    MESSAGES_PER_SECOND: int(1, 100_000).default(20),
    /** Concurrent connections of one user per node. @default 20 */
    MAX_CONNECTIONS_PER_USER: int(1, 100_000).default(20),
    /** Sustained handshakes per second per IP (burst: 2.5x). @default 20 */
    CONNECTIONS_PER_SECOND_PER_IP: int(1, 100_000).default(20),
    /** Seconds before token expiry that the socket is asked to refresh. @default 60 */
    TOKEN_REFRESH_WARNING_SEC: int(1, 3600).default(60),
    /** Seconds after token expiry before an unrefreshed socket is disconnected. @default 5 */
    TOKEN_EXPIRY_GRACE_SEC: int(0, 300).default(5),
    /** Seconds between full reads of the session tables into each node's mirror; 0: every check reads the database. @default 30 */
    SESSION_CACHE_REFRESH_SEC: int(0, 3600).default(30),
    /** Rows (users plus live revoked tokens) above which the mirror is off and checks read the database. @default 100000 */
    SESSION_CACHE_MAX_ROWS: int(0, 10_000_000).default(100_000),
    /** `in-process`: this backend runs the queue workers; `off`: run them with `node dist/cli/worker.cli.js`. @default in-process */
    QUEUE_WORKER: z.enum(['in-process', 'off']).default('in-process'),
    /** Jobs one worker process runs at once. @default 4 */
    QUEUE_WORKER_CONCURRENCY: int(1, 1000).default(4),
    /** Lock of a running job in ms; a job whose worker died is noticed within one to two times this. @default 30000 */
    QUEUE_JOB_LOCK_MS: int(1000, 600_000).default(30_000),
    /** `on`: this node may bridge queue events to the event streams (one node at a time does). @default on */
    QUEUE_BRIDGE: z.enum(['on', 'off']).default('on'),
    /** Window in ms within which a job's progress updates are coalesced (latest wins). @default 150 */
    QUEUE_PROGRESS_COALESCE_MS: int(10, 10_000).default(150),
    /** Lease of the bridge lock in ms; a dead bridging node is replaced within about this long. @default 5000 */
    QUEUE_BRIDGE_LOCK_TTL_MS: int(300, 60_000).default(5000),
    /** How often the bridging node publishes `queue.overview`, in ms; 0 disables it. @default 5000 */
    QUEUE_OVERVIEW_INTERVAL_MS: int(0, 3_600_000).default(5000),
    /** Unsent bytes a socket may queue before it is closed as slow_consumer. @default 1048576 */
    MAX_OUTGOING_BYTES: int(16_384, 1024 * 1024 * 1024).default(1_048_576),
    /** Seconds over which a drain (SIGTERM) spreads its disconnects. @default 5 */
    DRAIN_SPREAD_SEC: int(0, 600).default(5),
    /**
     * On SIGTERM, how long readiness answers 503 `draining` while the node still accepts and
     * serves every request, before its sockets drain and its listener closes, in ms. Set it
     * above the load balancer's health-check interval × unhealthy threshold, so that no request
     * is sent here after the listener closed. Counts towards SHUTDOWN_TIMEOUT_SEC. Outside
     * production it is 0, so Ctrl-C and test runs stop at once. @default 5000 in production, 0 otherwise
     */
    DRAIN_READINESS_DELAY_MS: int(0, 600_000).optional(),
    /** Engine.IO heartbeat interval and timeout, in ms: a dead peer is dropped within their sum. @default 20000 / 15000 */
    PING_INTERVAL_MS: int(1000, 600_000).default(20_000),
    PING_TIMEOUT_MS: int(1000, 600_000).default(15_000),
    /**
     * Engine.IO transports offered. The default is Socket.IO's own, so that `io(url)` with the
     * client's defaults connects (long-polling first, then the WebSocket upgrade); with several
     * nodes, long-polling needs sticky sessions at the load balancer. `websocket` alone needs
     * none. @default polling,websocket
     */
    SOCKET_TRANSPORTS: z
      .string()
      .default('polling,websocket')
      .transform(csv)
      .pipe(z.array(z.enum(['websocket', 'polling'])).min(1, 'must name websocket and/or polling')),
    /** Seconds a SIGTERM waits for in-flight work before exiting. @default 30 */
    SHUTDOWN_TIMEOUT_SEC: int(1, 600).default(30),
    /** The build's revision in `taskdash_build_info` (set it in images, which have no .git). @default the checkout's commit */
    BUILD_REVISION: z
      .string()
      .regex(/^[A-Za-z0-9._-]{1,64}$/, 'must be 1-64 of A-Z a-z 0-9 . _ -')
      .optional(),
    /** This node's name in health snapshots and alerts. @default <hostname>:<pid> */
    NODE_ID: z
      .string()
      .regex(/^[A-Za-z0-9._:@-]{1,128}$/, 'must be 1-128 of A-Z a-z 0-9 . _ : @ -')
      .optional(),
    /** `off` removes the metric hooks from the event path and answers /metrics with 404. @default on */
    METRICS_ENABLED: z.enum(['on', 'off']).default('on'),
    /** When set, GET /metrics requires `Authorization: Bearer <METRICS_TOKEN>`. At least 16 characters. */
    METRICS_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),
    /** How often each node samples and publishes its health (system.health), in ms; 0 disables it. @default 10000 */
    HEALTH_SAMPLE_INTERVAL_MS: int(0, 3_600_000)
      .refine((ms) => ms === 0 || ms >= 100, 'must be 0 (off) or at least 100')
      .default(10_000),
    /** Alert rules as a JSON array (see monitoring/alerts/alert-rule.schema.ts). @default built-in rules */
    ALERT_RULES: AlertRulesEnvSchema.optional(),
    /** A new alert waits this long (ms) so every node's report joins one notice; flaps inside it are never sent. @default 30000 */
    ALERT_GROUP_WINDOW_MS: int(0, 3_600_000).default(30_000),
    /** An unacknowledged firing alert is announced again after this many ms. @default 14400000 (4 h) */
    ALERT_REPEAT_INTERVAL_MS: int(1000, 7 * 86_400_000).default(4 * 3_600_000),
    /** Path of the Claude Code CLI that the default `claude` profile runs. @default claude */
    CLAUDE_BINARY: z.string().default('claude'),
    /** More commands an execution may run, by name (see executions/execution-profile.schema.ts). @default none */
    EXECUTION_PROFILES: ExecutionProfilesEnvSchema.optional(),
    /** Working directory of executed commands. @default the backend's own */
    EXECUTION_WORKDIR: z.string().optional(),
    /** Comma-separated environment variables passed on to executed commands; no others are. @default PATH,HOME,LANG,LC_ALL,TERM,TMPDIR,ANTHROPIC_API_KEY,CLAUDE_CODE_USE_BEDROCK,CLAUDE_CODE_USE_VERTEX */
    EXECUTION_ENV_PASSTHROUGH: z
      .string()
      .default('PATH,HOME,LANG,LC_ALL,TERM,TMPDIR,ANTHROPIC_API_KEY,CLAUDE_CODE_USE_BEDROCK,CLAUDE_CODE_USE_VERTEX')
      .transform(csv)
      .pipe(z.array(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be environment variable names'))),
    /** Seconds an execution may run before its process group is killed (status timed_out). @default 3600 */
    EXECUTION_TIMEOUT_SEC: int(1, 7 * 86_400).default(3600),
    /** Milliseconds between SIGTERM and SIGKILL when an execution's process group is stopped. @default 5000 */
    EXECUTION_KILL_GRACE_MS: int(0, 60_000).default(5000),
    /** Largest output chunk (one `execution.output` event), in bytes. @default 16384 */
    OUTPUT_CHUNK_BYTES: int(1024, 1 << 20).default(16_384),
    /** Longest an output byte waits for company before its chunk is sent, in ms. @default 25 */
    OUTPUT_CHUNK_WINDOW_MS: int(1, 1000).default(25),
    /**
     * Output bytes read from a process but not yet stored and published; beyond it the process
     * waits. Output flows at about this much per database round trip, and one fan-out message
     * can carry this much. @default 524288
     */
    OUTPUT_INFLIGHT_BYTES: int(16_384, 64 << 20).default(524_288),
    /** Unsent bytes a viewer of an execution may queue before its output is skipped (and it is told the range). @default 262144 */
    VIEWER_MAX_BUFFER_BYTES: int(16_384, 1 << 30).default(262_144),
    /** Rate at which a resumed or tailing viewer is sent the output it missed, in bytes per second. @default 16777216 */
    VIEWER_CATCH_UP_BYTES_PER_SEC: int(65_536, 1 << 30).default(16 << 20),
  })
  .superRefine((env, ctx) => {
    const hs = env.JWT_ALGORITHMS.some((alg) => alg.startsWith('HS'));
    const asym = env.JWT_ALGORITHMS.some((alg) => !alg.startsWith('HS'));
    if (hs && asym) {
      ctx.addIssue({ code: 'custom', path: ['JWT_ALGORITHMS'], message: 'must not mix HS* with RS*, PS*, ES* algorithms' });
    }
    if (asym && !env.JWT_PUBLIC_KEY && !env.JWT_JWKS_URL) {
      ctx.addIssue({ code: 'custom', path: ['JWT_PUBLIC_KEY'], message: 'or JWT_JWKS_URL is required for RS*, PS*, ES* algorithms' });
    }
    if (env.JWT_JWKS_URL && env.JWT_PUBLIC_KEY) {
      ctx.addIssue({ code: 'custom', path: ['JWT_JWKS_URL'], message: 'and JWT_PUBLIC_KEY must not both be set' });
    }
    // A JWKS holds public keys: an HS* allow-list would let a public key serve as an HMAC secret.
    if (env.JWT_JWKS_URL && hs) {
      ctx.addIssue({ code: 'custom', path: ['JWT_ALGORITHMS'], message: 'must be RS*, PS* or ES* with JWT_JWKS_URL (HS* never)' });
    }
    if (hs && !env.JWT_SECRET && env.NODE_ENV === 'production') {
      ctx.addIssue({ code: 'custom', path: ['JWT_SECRET'], message: 'is required in production' });
    }
    if (env.MAX_OUTGOING_BYTES >= 16_384 && env.VIEWER_MAX_BUFFER_BYTES >= env.MAX_OUTGOING_BYTES) {
      // Otherwise the slow-consumer sweep closes a slow viewer before its output can be skipped.
      ctx.addIssue({ code: 'custom', path: ['VIEWER_MAX_BUFFER_BYTES'], message: 'must be below MAX_OUTGOING_BYTES' });
    }
    const readinessDelayMs = drainReadinessDelayMs(env);
    // The shutdown deadline counts from SIGTERM: past it the process exits before it drained.
    // (This runs on invalid values too, which already have their own problem: skip those.)
    if (readinessDelayMs <= 600_000 && env.SHUTDOWN_TIMEOUT_SEC >= 1 && readinessDelayMs >= env.SHUTDOWN_TIMEOUT_SEC * 1000) {
      const which = env.DRAIN_READINESS_DELAY_MS === undefined ? ' (its production default)' : '';
      ctx.addIssue({
        code: 'custom',
        path: ['DRAIN_READINESS_DELAY_MS'],
        message: `must be below SHUTDOWN_TIMEOUT_SEC: ${readinessDelayMs} ms${which} is not below ${env.SHUTDOWN_TIMEOUT_SEC} s`,
      });
    }
    if (env.NODE_ENV === 'production' && env.ALLOWED_ORIGINS.includes('*')) {
      ctx.addIssue({ code: 'custom', path: ['ALLOWED_ORIGINS'], message: 'must not be * in production' });
    }
  });

/**
 * DRAIN_READINESS_DELAY_MS, or its default: 5 s in production. That covers health checks
 * that take a node out within 5 s (every 2 s with 2 failures, every second with 3), and
 * Kubernetes, which removes a terminating pod from its endpoints as it sends SIGTERM but
 * needs a few seconds until every proxy knows (the usual `preStop: sleep 5`); and it is well
 * within SHUTDOWN_TIMEOUT_SEC (30 s) and Kubernetes' grace period (30 s). 0 elsewhere, so
 * Ctrl-C in development and backends stopped by tests stop at once.
 */
export function drainReadinessDelayMs(env: { NODE_ENV: string; DRAIN_READINESS_DELAY_MS?: number | undefined }): number {
  return env.DRAIN_READINESS_DELAY_MS ?? (env.NODE_ENV === 'production' ? 5000 : 0);
}

export type Env = z.infer<typeof EnvSchema>;
export type JwtAlgorithm = (typeof JWT_ALGORITHMS)[number];
export type RoleName = (typeof ROLE_NAMES)[number];
