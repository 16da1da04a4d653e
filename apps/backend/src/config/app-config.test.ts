import { execSync, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { EnvSchema } from './app-config.schema';
import { ConfigError, DEV_JWT_SECRET, loadConfig } from './app-config';

const SECRET = 'a-secret-of-at-least-32-characters-00';
const PUBLIC_KEY =
  '-----BEGIN PUBLIC KEY-----\\nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE\\n-----END PUBLIC KEY-----';

/** The problems `loadConfig` reports for `env`; fails the test if it accepts it. */
function problems(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).problems;
  }
  throw new Error(`accepted ${JSON.stringify(env)}`);
}

/** Variables that take any non-empty string. */
const FREE_FORM = [
  'HOST',
  'EMBEDDED_DATA_DIR',
  'JWT_PUBLIC_KEY',
  'JWT_PRIVATE_KEY',
  'JWT_ISSUER',
  'JWT_AUDIENCE',
  'CLAUDE_BINARY',
  'EXECUTION_WORKDIR',
];

/** For each validated variable: values it must refuse (with any other variables they need). */
const INVALID: Record<string, Array<Record<string, string>>> = {
  NODE_ENV: [{ NODE_ENV: 'staging' }, { NODE_ENV: 'PRODUCTION' }],
  PORT: [{ PORT: '65536' }, { PORT: '-1' }, { PORT: 'http' }, { PORT: '80.5' }],
  DATABASE_URL: [
    { DATABASE_URL: 'nonsense' },
    { DATABASE_URL: 'mysql://db/app' },
    { DATABASE_URL: 'redis://localhost' },
  ],
  REDIS_URL: [{ REDIS_URL: 'localhost:6379' }, { REDIS_URL: 'http://localhost:6379' }],
  JWT_SECRET: [{ JWT_SECRET: 'x'.repeat(31) }],
  JWT_ALGORITHMS: [
    { JWT_ALGORITHMS: 'none' },
    { JWT_ALGORITHMS: 'HS256,hs512' },
    { JWT_ALGORITHMS: ' , ' },
    { JWT_ALGORITHMS: 'EdDSA' },
    // A JWKS holds public keys; HS* with it would let one serve as an HMAC secret.
    { JWT_ALGORITHMS: 'HS256', JWT_JWKS_URL: 'https://id.example/jwks' },
  ],
  JWT_JWKS_URL: [
    { JWT_JWKS_URL: 'id.example/jwks', JWT_ALGORITHMS: 'RS256' },
    { JWT_JWKS_URL: 'file:///etc/jwks.json', JWT_ALGORITHMS: 'RS256' },
    { JWT_JWKS_URL: 'https://id.example/jwks', JWT_ALGORITHMS: 'RS256', JWT_PUBLIC_KEY: PUBLIC_KEY },
  ],
  JWT_JWKS_REFRESH_SEC: [{ JWT_JWKS_REFRESH_SEC: '0' }, { JWT_JWKS_REFRESH_SEC: '86401' }],
  JWT_JWKS_COOLDOWN_SEC: [{ JWT_JWKS_COOLDOWN_SEC: '-1' }, { JWT_JWKS_COOLDOWN_SEC: '3601' }],
  JWT_JWKS_TIMEOUT_MS: [{ JWT_JWKS_TIMEOUT_MS: '99' }, { JWT_JWKS_TIMEOUT_MS: 'soon' }],
  JWT_USER_ID_CLAIM: [{ JWT_USER_ID_CLAIM: '   ' }, { JWT_USER_ID_CLAIM: 'x'.repeat(201) }],
  JWT_ROLE_CLAIM: [{ JWT_ROLE_CLAIM: '   ' }],
  JWT_ROLE_MAP: [
    { JWT_ROLE_MAP: 'taskdash-admin=root' },
    { JWT_ROLE_MAP: 'admin' },
    { JWT_ROLE_MAP: 'a=admin,=user' },
  ],
  JWT_CLOCK_TOLERANCE_SEC: [{ JWT_CLOCK_TOLERANCE_SEC: '301' }, { JWT_CLOCK_TOLERANCE_SEC: '-1' }],
  ALLOWED_ORIGINS: [{ ALLOWED_ORIGINS: 'http://a.example,*', NODE_ENV: 'production', JWT_SECRET: SECRET }],
  LOG_LEVEL: [{ LOG_LEVEL: 'verbose' }],
  LOG_FORMAT: [{ LOG_FORMAT: 'xml' }],
  REDIS_MODE: [{ REDIS_MODE: 'sentinel' }],
  EVENT_FANOUT: [{ EVENT_FANOUT: 'all' }],
  REDIS_KEY_PREFIX: [
    { REDIS_KEY_PREFIX: 'with space' },
    { REDIS_KEY_PREFIX: 'x'.repeat(65) },
    { REDIS_KEY_PREFIX: 'a{b}' },
  ],
  REPLAY_MAX_EVENTS: [{ REPLAY_MAX_EVENTS: '0' }, { REPLAY_MAX_EVENTS: '1000001' }],
  RETENTION_MAX_PER_STREAM: [{ RETENTION_MAX_PER_STREAM: '0' }, { RETENTION_MAX_PER_STREAM: '100000001' }],
  RETENTION_MAX_AGE_HOURS: [{ RETENTION_MAX_AGE_HOURS: '0' }, { RETENTION_MAX_AGE_HOURS: '1.5' }],
  MAX_SUBSCRIPTIONS_PER_SOCKET: [
    { MAX_SUBSCRIPTIONS_PER_SOCKET: '0' },
    { MAX_SUBSCRIPTIONS_PER_SOCKET: '100001' },
  ],
  MAX_MESSAGE_BYTES: [{ MAX_MESSAGE_BYTES: '255' }, { MAX_MESSAGE_BYTES: String(16 * 1024 * 1024 + 1) }],
  MESSAGES_PER_SECOND: [{ MESSAGES_PER_SECOND: '0' }],
  MAX_CONNECTIONS_PER_USER: [{ MAX_CONNECTIONS_PER_USER: '0' }],
  CONNECTIONS_PER_SECOND_PER_IP: [{ CONNECTIONS_PER_SECOND_PER_IP: '0' }],
  DATABASE_WRITE_TIMEOUT_MS: [{ DATABASE_WRITE_TIMEOUT_MS: '99' }, { DATABASE_WRITE_TIMEOUT_MS: 'soon' }],
  DATABASE_POOL_SIZE: [{ DATABASE_POOL_SIZE: '0' }],
  HTTP_MAX_CONCURRENT_WRITES: [{ HTTP_MAX_CONCURRENT_WRITES: '0' }],
  HTTP_MAX_QUEUED_WRITES: [{ HTTP_MAX_QUEUED_WRITES: '-1' }],
  TOKEN_REFRESH_WARNING_SEC: [{ TOKEN_REFRESH_WARNING_SEC: '0' }, { TOKEN_REFRESH_WARNING_SEC: '3601' }],
  TOKEN_EXPIRY_GRACE_SEC: [{ TOKEN_EXPIRY_GRACE_SEC: '301' }, { TOKEN_EXPIRY_GRACE_SEC: '-1' }],
  SESSION_CACHE_REFRESH_SEC: [{ SESSION_CACHE_REFRESH_SEC: '3601' }, { SESSION_CACHE_REFRESH_SEC: '-1' }],
  SESSION_CACHE_MAX_ROWS: [{ SESSION_CACHE_MAX_ROWS: '-1' }, { SESSION_CACHE_MAX_ROWS: 'many' }],
  SHUTDOWN_TIMEOUT_SEC: [{ SHUTDOWN_TIMEOUT_SEC: '0' }, { SHUTDOWN_TIMEOUT_SEC: '601' }],
  QUEUE_WORKER: [{ QUEUE_WORKER: 'separate' }],
  QUEUE_WORKER_CONCURRENCY: [{ QUEUE_WORKER_CONCURRENCY: '0' }, { QUEUE_WORKER_CONCURRENCY: '1001' }],
  QUEUE_JOB_LOCK_MS: [{ QUEUE_JOB_LOCK_MS: '999' }, { QUEUE_JOB_LOCK_MS: '600001' }],
  QUEUE_BRIDGE: [{ QUEUE_BRIDGE: 'yes' }],
  QUEUE_PROGRESS_COALESCE_MS: [{ QUEUE_PROGRESS_COALESCE_MS: '9' }, { QUEUE_PROGRESS_COALESCE_MS: '10001' }],
  QUEUE_BRIDGE_LOCK_TTL_MS: [{ QUEUE_BRIDGE_LOCK_TTL_MS: '299' }, { QUEUE_BRIDGE_LOCK_TTL_MS: '60001' }],
  QUEUE_OVERVIEW_INTERVAL_MS: [
    { QUEUE_OVERVIEW_INTERVAL_MS: '-1' },
    { QUEUE_OVERVIEW_INTERVAL_MS: '3600001' },
  ],
  BUILD_REVISION: [{ BUILD_REVISION: 'abc def' }, { BUILD_REVISION: 'x'.repeat(65) }],
  NODE_ID: [{ NODE_ID: 'node 1' }, { NODE_ID: 'x'.repeat(129) }],
  METRICS_ENABLED: [{ METRICS_ENABLED: 'true' }],
  METRICS_TOKEN: [{ METRICS_TOKEN: 'x'.repeat(15) }],
  HEALTH_SAMPLE_INTERVAL_MS: [{ HEALTH_SAMPLE_INTERVAL_MS: '99' }, { HEALTH_SAMPLE_INTERVAL_MS: '3600001' }],
  ALERT_RULES: [
    { ALERT_RULES: 'not json' },
    { ALERT_RULES: '[1]' },
    {
      ALERT_RULES: JSON.stringify([
        { name: 'Twice', metric: 'rssBytes', threshold: 1 },
        { name: 'Twice', metric: 'rssBytes', threshold: 2 },
      ]),
    },
  ],
  ALERT_GROUP_WINDOW_MS: [{ ALERT_GROUP_WINDOW_MS: '-1' }],
  ALERT_REPEAT_INTERVAL_MS: [{ ALERT_REPEAT_INTERVAL_MS: '999' }],
  MAX_OUTGOING_BYTES: [{ MAX_OUTGOING_BYTES: '16383' }],
  DRAIN_SPREAD_SEC: [{ DRAIN_SPREAD_SEC: '601' }, { DRAIN_SPREAD_SEC: '-1' }],
  DRAIN_READINESS_DELAY_MS: [
    { DRAIN_READINESS_DELAY_MS: '-1' },
    { DRAIN_READINESS_DELAY_MS: '600001' },
    { DRAIN_READINESS_DELAY_MS: '1.5' },
    // The shutdown deadline counts from SIGTERM; the delay must leave room for the rest.
    { DRAIN_READINESS_DELAY_MS: '30000' },
    { DRAIN_READINESS_DELAY_MS: '3000', SHUTDOWN_TIMEOUT_SEC: '3' },
    { NODE_ENV: 'production', JWT_SECRET: SECRET, SHUTDOWN_TIMEOUT_SEC: '5' },
  ],
  PING_INTERVAL_MS: [{ PING_INTERVAL_MS: '999' }, { PING_INTERVAL_MS: '600001' }],
  PING_TIMEOUT_MS: [{ PING_TIMEOUT_MS: '999' }],
  SOCKET_TRANSPORTS: [{ SOCKET_TRANSPORTS: 'websocket,long-polling' }, { SOCKET_TRANSPORTS: ',' }],
  EXECUTION_PROFILES: [
    { EXECUTION_PROFILES: 'not json' },
    { EXECUTION_PROFILES: '{"demo":[]}' },
    { EXECUTION_PROFILES: '{"claude":["x"]}' },
    { EXECUTION_PROFILES: '{"Bad Name":["x"]}' },
  ],
  EXECUTION_ENV_PASSTHROUGH: [{ EXECUTION_ENV_PASSTHROUGH: 'PATH,not-a-name' }],
  EXECUTION_TIMEOUT_SEC: [{ EXECUTION_TIMEOUT_SEC: '0' }, { EXECUTION_TIMEOUT_SEC: String(7 * 86_400 + 1) }],
  EXECUTION_KILL_GRACE_MS: [{ EXECUTION_KILL_GRACE_MS: '-1' }, { EXECUTION_KILL_GRACE_MS: '60001' }],
  OUTPUT_CHUNK_BYTES: [{ OUTPUT_CHUNK_BYTES: '1023' }, { OUTPUT_CHUNK_BYTES: String((1 << 20) + 1) }],
  OUTPUT_CHUNK_WINDOW_MS: [{ OUTPUT_CHUNK_WINDOW_MS: '0' }, { OUTPUT_CHUNK_WINDOW_MS: '1001' }],
  OUTPUT_INFLIGHT_BYTES: [{ OUTPUT_INFLIGHT_BYTES: '16383' }],
  VIEWER_MAX_BUFFER_BYTES: [{ VIEWER_MAX_BUFFER_BYTES: '16383' }, { VIEWER_MAX_BUFFER_BYTES: '1048576' }],
  VIEWER_CATCH_UP_BYTES_PER_SEC: [{ VIEWER_CATCH_UP_BYTES_PER_SEC: '65535' }],
};

describe('loadConfig', () => {
  it('runs with defaults on an empty environment: development, embedded database, no Redis, the development secret', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      env: 'development',
      port: 3000,
      host: '0.0.0.0',
      database: { embeddedDir: '.data/pglite' },
      redisUrl: undefined,
      jwt: {
        algorithms: ['HS256'],
        verifyKey: DEV_JWT_SECRET,
        signKey: DEV_JWT_SECRET,
        issuer: undefined,
        audience: undefined,
        clockToleranceSec: 5,
        usingDevSecret: true,
      },
      sessions: { cacheRefreshMs: 30_000, cacheMaxRows: 100_000 },
      allowedOrigins: ['http://localhost:3000', 'http://localhost:5173'],
      redisKeyPrefix: 'taskdash',
      events: {
        replayMaxEvents: 10_000,
        retentionMaxPerStream: 10_000,
        retentionMaxAgeMs: 168 * 3600_000,
        maxSubscriptionsPerSocket: 200,
      },
      log: { level: 'info', format: 'pretty' },
      shutdownTimeoutMs: 30_000,
    });
    expect(config.database).not.toHaveProperty('url');
  });

  it('reads every variable it is given, converting units and splitting lists', () => {
    const config = loadConfig({
      NODE_ENV: 'test',
      PORT: '8080',
      HOST: '127.0.0.1',
      DATABASE_URL: ' postgresql://app:pw@db:5432/app ',
      REDIS_URL: 'rediss://cache:6380',
      JWT_SECRET: SECRET,
      JWT_ALGORITHMS: 'HS512, HS256',
      JWT_ISSUER: 'issuer',
      JWT_AUDIENCE: 'audience',
      JWT_CLOCK_TOLERANCE_SEC: '0',
      ALLOWED_ORIGINS: ' https://a.example , ,https://b.example ',
      LOG_LEVEL: 'warn',
      LOG_FORMAT: 'json',
      REDIS_KEY_PREFIX: 'app:eu-1',
      REPLAY_MAX_EVENTS: '50',
      RETENTION_MAX_PER_STREAM: '60',
      RETENTION_MAX_AGE_HOURS: '2',
      MAX_SUBSCRIPTIONS_PER_SOCKET: '7',
      SHUTDOWN_TIMEOUT_SEC: '3',
    });
    expect(config).toMatchObject({
      env: 'test',
      port: 8080,
      host: '127.0.0.1',
      database: { url: 'postgresql://app:pw@db:5432/app' },
      redisUrl: 'rediss://cache:6380',
      jwt: {
        algorithms: ['HS512', 'HS256'],
        verifyKey: SECRET,
        signKey: SECRET,
        issuer: 'issuer',
        audience: 'audience',
        clockToleranceSec: 0,
        usingDevSecret: false,
      },
      allowedOrigins: ['https://a.example', 'https://b.example'],
      redisKeyPrefix: 'app:eu-1',
      events: {
        replayMaxEvents: 50,
        retentionMaxPerStream: 60,
        retentionMaxAgeMs: 2 * 3600_000,
        maxSubscriptionsPerSocket: 7,
      },
      log: { level: 'warn', format: 'json' },
      shutdownTimeoutMs: 3000,
    });
  });

  it('logs JSON by default in production and pretty otherwise, unless LOG_FORMAT says', () => {
    expect(loadConfig({ NODE_ENV: 'production', JWT_SECRET: SECRET }).log.format).toBe('json');
    expect(loadConfig({ NODE_ENV: 'test' }).log.format).toBe('pretty');
    expect(loadConfig({ NODE_ENV: 'production', JWT_SECRET: SECRET, LOG_FORMAT: 'pretty' }).log.format).toBe(
      'pretty',
    );
  });

  it('keeps readiness at 503 for 5 s on SIGTERM in production, and not at all elsewhere, unless DRAIN_READINESS_DELAY_MS says', () => {
    expect(loadConfig({ NODE_ENV: 'production', JWT_SECRET: SECRET }).drainReadinessDelayMs).toBe(5000);
    expect(loadConfig({}).drainReadinessDelayMs).toBe(0);
    expect(loadConfig({ NODE_ENV: 'test' }).drainReadinessDelayMs).toBe(0);
    expect(loadConfig({ NODE_ENV: 'production', JWT_SECRET: SECRET, DRAIN_READINESS_DELAY_MS: '0' }).drainReadinessDelayMs).toBe(0);
    expect(loadConfig({ DRAIN_READINESS_DELAY_MS: '29999' }).drainReadinessDelayMs).toBe(29_999);
  });

  it('treats empty strings as unset, so defaults apply', () => {
    const empty = Object.fromEntries([...Object.keys(EnvSchema.shape)].map((key) => [key, '']));
    expect(loadConfig(empty)).toEqual(loadConfig({}));
    expect(loadConfig({ PORT: '', DATABASE_URL: '', JWT_SECRET: '', JWT_ALGORITHMS: '' })).toMatchObject({
      port: 3000,
      database: { embeddedDir: '.data/pglite' },
      jwt: { algorithms: ['HS256'], usingDevSecret: true },
    });
  });

  it('accepts the bounds of numeric ranges', () => {
    expect(
      loadConfig({ PORT: '0', JWT_CLOCK_TOLERANCE_SEC: '300', SHUTDOWN_TIMEOUT_SEC: '600' }),
    ).toMatchObject({
      port: 0,
      jwt: { clockToleranceSec: 300 },
      shutdownTimeoutMs: 600_000,
    });
    expect(loadConfig({ PORT: '65535', REPLAY_MAX_EVENTS: '1', SHUTDOWN_TIMEOUT_SEC: '1' })).toMatchObject({
      port: 65535,
      events: { replayMaxEvents: 1 },
      shutdownTimeoutMs: 1000,
    });
  });

  it('has a refusal case for every variable that is not free-form', () => {
    const validated = Object.keys(EnvSchema.shape).filter((key) => !FREE_FORM.includes(key));
    expect(Object.keys(INVALID).sort()).toEqual(validated.sort());
  });

  describe.each(Object.entries(INVALID))('%s', (name, cases) => {
    it.each(cases)('refuses %j with one problem naming the variable', (env) => {
      // A list names the bad item too: "JWT_ALGORITHMS.1 Invalid option ...".
      expect(problems(env)).toEqual([expect.stringMatching(new RegExp(`^${name}(\\.\\d+)? `))]);
    });
  });

  it('reports every bad variable at once, one problem each, and puts them all in the message', () => {
    let error: unknown;
    try {
      loadConfig({ PORT: 'x', LOG_LEVEL: 'loud', REDIS_URL: 'nope' });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const { problems: found, message } = error as ConfigError;
    expect(found.map((problem) => problem.split(' ')[0]).sort()).toEqual(['LOG_LEVEL', 'PORT', 'REDIS_URL']);
    for (const problem of found) expect(message).toContain(problem);
  });

  it('never echoes a refused value, which may be a secret', () => {
    const secretish = 'short-but-secret';
    expect(problems({ JWT_SECRET: secretish }).join(' ')).not.toContain(secretish);
    expect(problems({ DATABASE_URL: 'mysql://user:hunter2@db/app' }).join(' ')).not.toContain('hunter2');
  });

  describe('JWT keys and algorithms', () => {
    it.each(['HS256,RS256', 'RS256,HS512', 'ES256,HS256'])(
      'refuses %s, which mixes HS* with RS*, PS*, ES*',
      (algorithms) => {
        expect(
          problems({ JWT_ALGORITHMS: algorithms, JWT_SECRET: SECRET, JWT_PUBLIC_KEY: PUBLIC_KEY }),
        ).toEqual(['JWT_ALGORITHMS must not mix HS* with RS*, PS*, ES* algorithms']);
      },
    );

    it.each(['RS256', 'ES256', 'RS384,ES512', 'PS256'])('refuses %s without JWT_PUBLIC_KEY or JWT_JWKS_URL', (algorithms) => {
      expect(problems({ JWT_ALGORITHMS: algorithms })).toEqual([
        'JWT_PUBLIC_KEY or JWT_JWKS_URL is required for RS*, PS*, ES* algorithms',
      ]);
      expect(problems({ JWT_ALGORITHMS: algorithms, JWT_PUBLIC_KEY: '' })).toEqual([
        'JWT_PUBLIC_KEY or JWT_JWKS_URL is required for RS*, PS*, ES* algorithms',
      ]);
    });

    it('takes keys from a JWKS URL, with its refresh settings, and no static key', () => {
      const { jwt } = loadConfig({
        NODE_ENV: 'production',
        JWT_JWKS_URL: 'https://id.example/realms/r/protocol/openid-connect/certs',
        JWT_ALGORITHMS: 'RS256,PS256',
        JWT_JWKS_REFRESH_SEC: '300',
        JWT_JWKS_COOLDOWN_SEC: '10',
      });
      expect(jwt).toMatchObject({
        algorithms: ['RS256', 'PS256'],
        verifyKey: '',
        usingDevSecret: false,
        jwks: { url: 'https://id.example/realms/r/protocol/openid-connect/certs', refreshMs: 300_000, cooldownMs: 10_000, timeoutMs: 5000 },
      });
      expect(loadConfig({ NODE_ENV: 'test' }).jwt.jwks).toBeUndefined();
    });

    it('maps claims: sub and role by default, or the configured claims and role names', () => {
      expect(loadConfig({ NODE_ENV: 'test' }).jwt.claims).toEqual({ userId: 'sub', role: 'role', roleMap: undefined });
      expect(
        loadConfig({
          NODE_ENV: 'test',
          JWT_USER_ID_CLAIM: 'oid',
          JWT_ROLE_CLAIM: 'https://taskdash.example/roles',
          JWT_ROLE_MAP: 'taskdash-admin=admin, ops=operator,viewer=user',
        }).jwt.claims,
      ).toEqual({
        userId: 'oid',
        role: 'https://taskdash.example/roles',
        roleMap: { 'taskdash-admin': 'admin', ops: 'operator', viewer: 'user' },
      });
    });

    it('verifies RS*, ES* with the public key, turning \\n escapes into newlines, and signs with the private key', () => {
      const config = loadConfig({
        JWT_ALGORITHMS: 'RS256,ES256',
        JWT_PUBLIC_KEY: PUBLIC_KEY,
        JWT_PRIVATE_KEY: 'line1\\nline2',
      });
      expect(config.jwt).toMatchObject({
        algorithms: ['RS256', 'ES256'],
        signKey: 'line1\nline2',
        usingDevSecret: false,
      });
      expect(config.jwt.verifyKey).toBe(PUBLIC_KEY.replace(/\\n/g, '\n'));
      expect(config.jwt.verifyKey).not.toContain(DEV_JWT_SECRET);
    });

    it('needs no JWT_SECRET in production for RS*, ES*', () => {
      expect(
        loadConfig({ NODE_ENV: 'production', JWT_ALGORITHMS: 'RS256', JWT_PUBLIC_KEY: PUBLIC_KEY }).jwt
          .signKey,
      ).toBeUndefined();
    });

    it('refuses production without JWT_SECRET, also when it is set to an empty string', () => {
      expect(problems({ NODE_ENV: 'production' })).toEqual(['JWT_SECRET is required in production']);
      expect(problems({ NODE_ENV: 'production', JWT_SECRET: '' })).toEqual([
        'JWT_SECRET is required in production',
      ]);
    });

    it('uses the development secret outside production only, and says so', () => {
      expect(loadConfig({ NODE_ENV: 'test' }).jwt).toMatchObject({
        verifyKey: DEV_JWT_SECRET,
        usingDevSecret: true,
      });
      expect(loadConfig({ NODE_ENV: 'production', JWT_SECRET: SECRET }).jwt).toMatchObject({
        verifyKey: SECRET,
        usingDevSecret: false,
      });
    });

    it('allows any origin (*) outside production', () => {
      expect(loadConfig({ ALLOWED_ORIGINS: '*' }).allowedOrigins).toEqual(['*']);
    });
  });
});

describe('backend start-up with an invalid environment', () => {
  const root = join(__dirname, '..', '..', '..', '..');
  const main = join(root, 'apps', 'backend', 'dist', 'main.js');

  beforeAll(() => {
    // The backend needs only the contract package besides itself.
    execSync('pnpm -s --filter @taskdash/contract --filter @taskdash/backend run build', {
      cwd: root,
      stdio: 'pipe',
    });
  }, 120_000);

  it('exits with EX_CONFIG (78) and exactly one stderr line naming DATABASE_URL', () => {
    const result = spawnSync(process.execPath, [main], {
      cwd: root,
      env: { PATH: process.env.PATH ?? '', DATABASE_URL: 'nonsense' },
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(result.error).toBeUndefined();
    expect(result.status).toBe(78);
    const lines = result.stderr.split('\n').filter((line) => line.length > 0);
    expect(lines).toEqual([expect.stringContaining('DATABASE_URL')]);
    expect(lines[0]).not.toContain('nonsense');
    expect(result.stdout).toBe('');
  });
});
