import { parseArgs } from 'node:util';
import { ROLES, type Role } from '../auth/principal.types';
import { signToken } from '../auth/token-signer';
import { ConfigError, loadConfig } from '../config/app-config';

// `pnpm token --sub alice --role admin [--ttl 3600]`: prints a JWT signed with the configured key.
function main(): void {
  const { values } = parseArgs({
    options: { sub: { type: 'string' }, role: { type: 'string', default: 'user' }, ttl: { type: 'string', default: '3600' } },
  });
  if (!values.sub) throw new Error('usage: pnpm token --sub <user> [--role user|operator|admin] [--ttl seconds]');
  if (!ROLES.includes(values.role as Role)) throw new Error(`--role must be one of ${ROLES.join(', ')}`);
  const ttlSec = Number(values.ttl);
  if (!Number.isInteger(ttlSec) || ttlSec <= 0) throw new Error('--ttl must be a positive number of seconds');
  const config = loadConfig();
  process.stdout.write(`${signToken(config.jwt, { sub: values.sub, role: values.role as Role, ttlSec })}\n`);
}

try {
  main();
} catch (error) {
  process.stderr.write(`${error instanceof ConfigError ? error.message : (error as Error).message}\n`);
  process.exit(1);
}
