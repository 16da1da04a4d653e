import { ReplayAdmission } from './replay-admission';

describe('ReplayAdmission', () => {
  it('runs at most `limit` tasks at once and serves every waiting task in arrival order', async () => {
    const admission = new ReplayAdmission(3);
    let running = 0;
    let peak = 0;
    const order: number[] = [];
    const releases: Array<() => void> = [];
    const tasks = Array.from({ length: 10 }, (_, i) =>
      admission.run(async () => {
        running++;
        peak = Math.max(peak, running);
        order.push(i);
        await new Promise<void>((resolve) => releases.push(resolve));
        running--;
        return i;
      }),
    );
    while (order.length < 10) {
      await new Promise((resolve) => setImmediate(resolve));
      releases.shift()?.();
    }
    releases.forEach((release) => release());
    expect(await Promise.all(tasks)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(order).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(peak).toBe(3);
    expect(admission.queued).toBe(0);
  });

  it('frees the slot when a task fails', async () => {
    const admission = new ReplayAdmission(1);
    await expect(admission.run(() => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    await expect(admission.run(async () => 'next')).resolves.toBe('next');
  });
});
