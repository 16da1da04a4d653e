import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';

const SRC = join(__dirname, '../../apps/backend/src');

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((entry) => {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) return entry === 'generated' ? [] : sources(path);
    return path.endsWith('.ts') && !path.endsWith('.test.ts') ? [path] : [];
  });
}

/** The top folder of a path under src/, or undefined for files at the root (app.module.ts, main.ts). */
const folderOf = (path: string): string | undefined => {
  const [first, ...rest] = relative(SRC, path).split('/');
  return rest.length > 0 ? first : undefined;
};

/** Which folder imports which, from the relative imports of the backend's sources (tests excluded). */
function folderGraph(): Map<string, Set<string>> {
  const graph = new Map<string, Set<string>>();
  for (const file of sources(SRC)) {
    const from = folderOf(file);
    if (!from) continue;
    for (const match of readFileSync(file, 'utf8').matchAll(/from '(\.{1,2}\/[^']+)'/g)) {
      const to = folderOf(normalize(join(dirname(file), match[1]!)));
      if (!to || to === from || to === 'generated') continue;
      if (!graph.has(from)) graph.set(from, new Set());
      graph.get(from)!.add(to);
    }
  }
  return graph;
}

describe('the backend module graph', () => {
  it('has no two folders that import each other', () => {
    const graph = folderGraph();
    const mutual = [...graph].flatMap(([from, tos]) =>
      [...tos].filter((to) => from < to && graph.get(to)?.has(from)).map((to) => `${from} <-> ${to}`),
    );
    expect(mutual).toEqual([]);
  });

  it('keeps the event core below everything that publishes or delivers', () => {
    const graph = folderGraph();
    expect([...(graph.get('events') ?? [])].sort()).toEqual(['database']);
    for (const feature of ['tasks', 'queue', 'executions', 'monitoring', 'websocket'])
      expect(graph.get(feature)?.has('events')).toBe(true);
  });
});
