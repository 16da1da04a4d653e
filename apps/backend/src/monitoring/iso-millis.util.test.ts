import { isoMillis } from './iso-millis.util';

describe('isoMillis', () => {
  it('equals Date.parse for toISOString output, within one second and across seconds', () => {
    const start = Date.UTC(2026, 11, 2, 15, 45, 58, 990);
    for (let ms = start; ms < start + 3000; ms += 7) {
      const iso = new Date(ms).toISOString();
      expect(isoMillis(iso)).toBe(ms);
    }
  });

  it('equals Date.parse when timestamps of different seconds alternate', () => {
    const a = '2026-12-02T15:45:12.345Z';
    const b = '2031-01-01T00:00:00.001Z';
    for (let i = 0; i < 4; i++) {
      expect(isoMillis(a)).toBe(Date.parse(a));
      expect(isoMillis(b)).toBe(Date.parse(b));
    }
  });

  it('equals Date.parse before 1970', () => {
    isoMillis('1969-12-31T23:59:58.500Z');
    expect(isoMillis('1969-12-31T23:59:58.250Z')).toBe(Date.parse('1969-12-31T23:59:58.250Z'));
  });

  it('leaves other formats, and garbage sharing the cached second, to Date.parse', () => {
    const second = '2026-12-02T15:45:12';
    isoMillis(`${second}.000Z`);
    for (const other of [
      `${second}Z`,
      `${second}.5Z`,
      `${second}.123+02:00`,
      `${second}.12xZ`,
      `${second}.123456Z`,
      'not a timestamp',
      '',
    ])
      expect(isoMillis(other)).toEqual(Date.parse(other));
  });
});
