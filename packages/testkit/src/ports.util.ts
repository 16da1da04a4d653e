import { createServer } from 'node:net';

/**
 * A TCP port on 127.0.0.1 that the OS reported free a moment ago. Bind it at once: another
 * process may take it in between, which is why a harness that starts a server of its own on
 * it must also check that the server answering is its own.
 */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}
