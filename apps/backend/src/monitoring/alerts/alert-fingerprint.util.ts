import { createHash } from 'node:crypto';

export type AlertLabels = Record<string, string>;

/**
 * Alertmanager's notion of identity: a hash of the sorted label pairs. Node ids are not
 * labels, so the same condition on several nodes has one fingerprint and raises one alert.
 */
export function fingerprintOf(labels: AlertLabels): string {
  const hash = createHash('sha256');
  for (const name of Object.keys(labels).sort()) hash.update(`${name}\u0000${labels[name]}\u0000`);
  return hash.digest('hex').slice(0, 16);
}
