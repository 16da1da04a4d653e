import { generateKeyPairSync, randomUUID, type JsonWebKey, type KeyObject } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import jwt from 'jsonwebtoken';

/** A signing key of a test identity provider: the private half signs, the public half is published. */
export interface TestSigningKey {
  kid: string;
  alg: 'RS256' | 'PS256' | 'ES256' | 'ES384';
  privateKey: KeyObject;
  publicKey: KeyObject;
  /** The public key as a JWK, `kid`, `alg` and `use` set. */
  jwk: JsonWebKey & { kid: string };
}

export function makeSigningKey(
  alg: TestSigningKey['alg'],
  kid = `k-${randomUUID().slice(0, 8)}`,
): TestSigningKey {
  const pair = alg.startsWith('ES')
    ? generateKeyPairSync('ec', { namedCurve: alg === 'ES256' ? 'P-256' : 'P-384' })
    : generateKeyPairSync('rsa', { modulusLength: 2048 });
  const jwk = { ...pair.publicKey.export({ format: 'jwk' }), kid, alg, use: 'sig' };
  return { kid, alg, privateKey: pair.privateKey, publicKey: pair.publicKey, jwk };
}

/** A token as the provider would issue it: `kid` in the header (unless it has none), ten minutes to live. */
export function signWith(
  key: TestSigningKey,
  claims: Record<string, unknown>,
  options: jwt.SignOptions = {},
): string {
  return jwt.sign({ exp: Math.floor(Date.now() / 1000) + 600, ...claims }, key.privateKey, {
    algorithm: key.alg,
    ...(key.kid === undefined ? {} : { keyid: key.kid }),
    ...options,
  });
}

export type JwksServerMode = 'up' | 'error' | 'refused';

/**
 * A real HTTP JWKS endpoint on 127.0.0.1 (a port of its own, kept across outages): serves
 * whatever keys it is given, answers 503 in `error` mode, and closes its listener in
 * `refused` mode (connection refused, as with a provider that is down). Counts requests.
 */
export class TestJwksServer {
  keys: object[] = [];
  requests = 0;
  private server: Server | undefined;

  private constructor(
    readonly port: number,
    private mode: JwksServerMode,
  ) {}

  static async start(
    port: number,
    mode: JwksServerMode = 'up',
    keys: object[] = [],
  ): Promise<TestJwksServer> {
    const server = new TestJwksServer(port, mode);
    server.keys = keys;
    if (mode !== 'refused') await server.listen();
    return server;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}/.well-known/jwks.json`;
  }

  async setMode(mode: JwksServerMode): Promise<void> {
    const wasListening = this.mode !== 'refused';
    this.mode = mode;
    if (mode === 'refused' && wasListening) await this.unlisten();
    if (mode !== 'refused' && !wasListening) await this.listen();
  }

  close(): Promise<void> {
    return this.unlisten();
  }

  private listen(): Promise<void> {
    const server = createServer((request, response) => {
      this.requests += 1;
      if (this.mode === 'error' || request.url !== '/.well-known/jwks.json') {
        response.writeHead(this.mode === 'error' ? 503 : 404).end();
        return;
      }
      response.writeHead(200, { 'content-type': 'application/json', connection: 'close' });
      response.end(JSON.stringify({ keys: this.keys }));
    });
    this.server = server;
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
  }

  private unlisten(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return Promise.resolve();
    server.closeAllConnections();
    return new Promise((resolve) => server.close(() => resolve()));
  }
}
