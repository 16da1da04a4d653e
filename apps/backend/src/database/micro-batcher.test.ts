import { MicroBatcher } from './micro-batcher';

describe('MicroBatcher', () => {
  const doubling = () => {
    const calls: number[][] = [];
    const batcher = new MicroBatcher<number, number>(async (keys) => {
      calls.push(keys);
      return new Map(keys.filter((k) => k >= 0).map((k) => [k, k * 2]));
    }, 3);
    return { calls, batcher };
  };

  /** Records each batch; the first key of one waits `gatherMs` for others. */
  const gathering = (gatherMs: number) => {
    const calls: number[][] = [];
    const batcher = new MicroBatcher<number, number>(
      async (keys) => {
        calls.push(keys);
        return new Map(keys.map((k) => [k, k]));
      },
      100,
      gatherMs,
    );
    return { calls, batcher };
  };

  it('loads the keys of one turn with one call, each key once', async () => {
    const { calls, batcher } = doubling();
    const values = await Promise.all([batcher.load(1), batcher.load(2), batcher.load(1)]);
    expect(values).toEqual([2, 4, 2]);
    expect(calls).toEqual([[1, 2]]);
  });

  it('sends a full batch at once and the rest at the end of the turn', async () => {
    const { calls, batcher } = doubling();
    await Promise.all([1, 2, 3, 4].map((k) => batcher.load(k)));
    expect(calls).toEqual([[1, 2, 3], [4]]);
  });

  it('rejects a key the loader did not return, and every caller when the loader fails', async () => {
    const { batcher } = doubling();
    await expect(batcher.load(-1)).rejects.toThrow('no value loaded for -1');
    const failing = new MicroBatcher<number, number>(async () => {
      throw new Error('database down');
    });
    await expect(Promise.all([failing.load(1), failing.load(2)])).rejects.toThrow('database down');
  });

  it('with a gathering time, keys asked over several turns within it go as one batch', async () => {
    const { calls, batcher } = gathering(30);
    const first = batcher.load(1);
    await new Promise((resolve) => setImmediate(resolve));
    await new Promise((resolve) => setTimeout(resolve, 5));
    const second = batcher.load(2);
    await Promise.all([first, second]);
    expect(calls).toEqual([[1, 2]]);
  });

  it('sends the gathered keys at once when hurried, and nothing when nothing waits', async () => {
    const { calls, batcher } = gathering(60_000);
    batcher.hurry();
    const first = batcher.load(1);
    const second = batcher.load(2);
    batcher.hurry();
    expect(await Promise.all([first, second])).toEqual([1, 2]);
    expect(calls).toEqual([[1, 2]]);
  });

  it('starts a new batch for keys asked after a batch came back', async () => {
    const { calls, batcher } = doubling();
    await batcher.load(1);
    await batcher.load(2);
    expect(calls).toEqual([[1], [2]]);
  });

  it('holds the keys asked while a batch is in flight and sends them together when it returns', async () => {
    const calls: string[][] = [];
    let release: () => void = () => undefined;
    const batcher = new MicroBatcher<string, string>(async (keys) => {
      calls.push(keys);
      if (calls.length === 1) await new Promise<void>((resolve) => (release = resolve));
      return new Map(keys.map((k) => [k, k.toUpperCase()]));
    });
    const first = batcher.load('a');
    await new Promise((resolve) => setImmediate(resolve));
    const later = [batcher.load('b'), batcher.load('c')];
    await new Promise((resolve) => setImmediate(resolve));
    await new Promise((resolve) => setImmediate(resolve));
    expect(calls).toEqual([['a']]);
    release();
    expect(await Promise.all([first, ...later])).toEqual(['A', 'B', 'C']);
    expect(calls).toEqual([['a'], ['b', 'c']]);
  });
});
