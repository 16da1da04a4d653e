import { ConfigError, loadConfig } from '../config/app-config';
import { openEmbedded, openPostgres } from '../database/database.factory';
import { migrate } from '../database/migrator';

// `pnpm db:migrate`: applies pending migrations to DATABASE_URL (or the embedded database).
async function main(): Promise<void> {
  const config = loadConfig();
  const database = 'url' in config.database ? openPostgres({ url: config.database.url }) : await openEmbedded(config.database.embeddedDir);
  const session = await database.openSession();
  try {
    const result = await migrate(session);
    process.stdout.write(
      `${database.description}: applied ${result.applied.length} (${result.applied.join(', ') || 'none'}), ${result.alreadyApplied} already applied\n`,
    );
  } finally {
    await session.release();
    await database.close();
  }
}

main().catch((error: Error) => {
  process.stderr.write(`${error instanceof ConfigError ? error.message : error.message}\n`);
  process.exit(1);
});
