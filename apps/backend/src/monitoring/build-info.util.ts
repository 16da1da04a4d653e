import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

export interface BuildInfo {
  version: string;
  revision: string;
}

/** The nearest package.json named `name` above `from`, whether running from src/ or dist/. */
function findPackage(from: string, name: string): { dir: string; version: string } | undefined {
  for (let dir = from; dir !== dirname(dir); dir = dirname(dir)) {
    const file = join(dir, 'package.json');
    if (!existsSync(file)) continue;
    const manifest = JSON.parse(readFileSync(file, 'utf8')) as { name?: string; version?: string };
    if (manifest.name === name) return { dir, version: manifest.version ?? 'unknown' };
  }
  return undefined;
}

/** The commit of a git checkout, read from its files (no git binary, cheap, once). */
function gitRevision(start: string): string | undefined {
  for (let dir = start; dir !== dirname(dir); dir = dirname(dir)) {
    const git = join(dir, '.git');
    if (!existsSync(git)) continue;
    try {
      const head = readFileSync(join(git, 'HEAD'), 'utf8').trim();
      if (!head.startsWith('ref: ')) return head.slice(0, 12);
      const ref = join(git, head.slice(5));
      if (existsSync(ref)) return readFileSync(ref, 'utf8').trim().slice(0, 12);
      const packed = readFileSync(join(git, 'packed-refs'), 'utf8');
      return packed
        .split('\n')
        .find((line) => line.endsWith(` ${head.slice(5)}`))
        ?.slice(0, 12);
    } catch {
      return undefined; // a worktree's .git file, or an unreadable checkout: no revision
    }
  }
  return undefined;
}

/**
 * What `taskdash_build_info` reports: the backend's version, and the given revision
 * (`BUILD_REVISION`, for images, which have no .git) or the checkout's.
 */
export function readBuildInfo(revision?: string): BuildInfo {
  const found = findPackage(__dirname, '@taskdash/backend');
  revision ??= (found ? gitRevision(found.dir) : undefined) ?? 'unknown';
  return { version: found?.version ?? 'unknown', revision };
}
