import { DeadlineWheel } from './deadline-wheel';

/** A wheel on a clock the test moves by hand; `tick` is called directly, never by time. */
function wheelAt(start: number, resolutionMs = 250) {
  const clock = { now: start };
  const fired: Array<{ item: string; at: number }> = [];
  const wheel = new DeadlineWheel<string>(resolutionMs, (item) => fired.push({ item, at: clock.now }), () => clock.now);
  const advanceTo = (ms: number) => {
    for (let t = clock.now; t <= ms; t += 10) {
      clock.now = t;
      wheel.tick();
    }
  };
  return { clock, fired, wheel, advanceTo };
}

describe('DeadlineWheel', () => {
  it('fires every item at or after its deadline and at most one resolution later', () => {
    const { fired, wheel, advanceTo } = wheelAt(1_000);
    const deadlines = [1_001, 1_249, 1_250, 1_251, 1_600, 2_000, 5_432];
    deadlines.forEach((deadline, i) => wheel.add(`item-${i}`, deadline));
    advanceTo(6_000);
    expect(fired.map((f) => f.item)).toEqual(deadlines.map((_, i) => `item-${i}`));
    fired.forEach(({ at }, i) => {
      expect(at).toBeGreaterThanOrEqual(deadlines[i]!);
      expect(at).toBeLessThanOrEqual(deadlines[i]! + 250);
    });
    expect(wheel.size).toBe(0);
    wheel.stop();
  });

  it('fires a deadline already past on the next tick', () => {
    const { clock, fired, wheel } = wheelAt(10_000);
    clock.now = 10_300;
    wheel.tick();
    wheel.add('late', 9_000);
    expect(fired).toEqual([]);
    clock.now = 10_500;
    wheel.tick();
    expect(fired.map((f) => f.item)).toEqual(['late']);
    wheel.stop();
  });

  it('forgets removed items, including one removed by an earlier item of the same slot', () => {
    const clock = { now: 0 };
    const fired: string[] = [];
    const slots = new Map<string, number>();
    const wheel: DeadlineWheel<string> = new DeadlineWheel<string>(
      100,
      (item) => {
        fired.push(item);
        if (item === 'a') wheel.remove('b', slots.get('b')!);
      },
      () => clock.now,
    );
    for (const item of ['a', 'b', 'c']) slots.set(item, wheel.add(item, 150));
    slots.set('gone', wheel.add('gone', 120));
    wheel.remove('gone', slots.get('gone')!);
    clock.now = 1_000;
    wheel.tick();
    expect(fired).toEqual(['a', 'c']);
    expect(wheel.size).toBe(0);
    wheel.stop();
  });

  it('lets an item be scheduled again from its own firing', () => {
    const clock = { now: 0 };
    const fired: number[] = [];
    const wheel: DeadlineWheel<string> = new DeadlineWheel<string>(
      100,
      (item) => {
        fired.push(clock.now);
        if (fired.length === 1) wheel.add(item, clock.now + 500);
      },
      () => clock.now,
    );
    wheel.add('x', 100);
    for (clock.now = 0; clock.now <= 2_000; clock.now += 50) wheel.tick();
    expect(fired).toEqual([100, 600]);
    wheel.stop();
  });
});
