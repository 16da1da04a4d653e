// Generates the Prisma client without Prisma's schema-engine binary, which cannot be
// downloaded on machines without internet access: generation never calls the engine,
// the CLI only checks that an executable exists at the configured path.
import { spawnSync } from 'node:child_process';

const env = { ...process.env };
env.PRISMA_SCHEMA_ENGINE_BINARY ??= process.execPath;
env.PRISMA_HIDE_UPDATE_MESSAGE = '1';
const result = spawnSync('pnpm', ['exec', 'prisma', 'generate'], { stdio: 'inherit', env });
process.exit(result.status ?? 1);
