import { get } from 'node:http';

/** One scrape of a backend's `GET /metrics`: each series (`name{labels}`) and its value. */
export type Scrape = Map<string, number>;

/**
 * One scrape on a connection of its own that closes after the answer (no keep-alive), so
 * that the scrape leaves nothing open on the node that a later reading would count.
 */
export async function scrape(backendUrl: string): Promise<Scrape> {
  const text = await new Promise<string>((resolve, reject) => {
    const request = get(`${backendUrl}/metrics`, { agent: false, headers: { connection: 'close' }, timeout: 5000 }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (body += chunk));
      response.on('end', () => (response.statusCode === 200 ? resolve(body) : reject(new Error(`GET /metrics: ${response.statusCode}`))));
    });
    request.on('timeout', () => request.destroy(new Error('GET /metrics timed out')));
    request.on('error', reject);
  });
  const series: Scrape = new Map();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const space = line.lastIndexOf(' ');
    series.set(line.slice(0, space), Number(line.slice(space + 1)));
  }
  return series;
}

/** The sum of every series of `name` whose labels pass `labels` (all of them by default). */
export function total(metrics: Scrape, name: string, labels: (text: string) => boolean = () => true): number {
  let sum = 0;
  for (const [series, value] of metrics) {
    const brace = series.indexOf('{');
    const seriesName = brace < 0 ? series : series.slice(0, brace);
    if (seriesName === name && labels(brace < 0 ? '' : series.slice(brace))) sum += value;
  }
  return sum;
}
