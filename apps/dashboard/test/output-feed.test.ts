import { OutputFeed, type OutputSink } from '../src/terminal/output-feed';

const enc = (text: string): Uint8Array => new TextEncoder().encode(text);
const dec = (bytes: Uint8Array): string => new TextDecoder().decode(bytes);

/** A log of `size` bytes, `abcd…` repeated, to cut chunks from. */
const LOG = 'abcdefghijklmnopqrstuvwxyz'.repeat(4);
const part = (from: number, to: number): Uint8Array => enc(LOG.slice(from, to));

class Screen implements OutputSink {
  text = '';
  clears = 0;
  write(bytes: Uint8Array): void {
    this.text += dec(bytes);
  }
  clear(): void {
    this.text = '';
    this.clears++;
  }
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 0));

describe('OutputFeed', () => {
  const fetches: Array<[number, number]> = [];
  const fetchRange = async (from: number, to: number) => {
    fetches.push([from, to]);
    return part(from, to);
  };
  beforeEach(() => (fetches.length = 0));

  it('writes the first bytes, then live chunks that arrived before them, each byte once', () => {
    const screen = new Screen();
    const feed = new OutputFeed(screen, fetchRange);
    feed.push(20, part(20, 30)); // live, before the tail fetch answered
    feed.push(10, part(10, 20));
    feed.begin(5, part(5, 25));
    expect(screen.text).toBe(LOG.slice(5, 30));
    expect(fetches).toEqual([]);
  });

  it('fetches a hole over HTTP before the chunk after it', async () => {
    const screen = new Screen();
    const feed = new OutputFeed(screen, fetchRange);
    feed.begin(0, part(0, 10));
    feed.push(40, part(40, 50));
    feed.push(50, part(50, 55));
    await settle();
    expect(fetches).toEqual([[10, 40]]);
    expect(screen.text).toBe(LOG.slice(0, 55));
  });

  it('drops repeated and overlapping chunks', () => {
    const screen = new Screen();
    const feed = new OutputFeed(screen, fetchRange);
    feed.begin(0, part(0, 10));
    feed.push(0, part(0, 10));
    feed.push(5, part(5, 15));
    feed.push(10, part(10, 15));
    expect(screen.text).toBe(LOG.slice(0, 15));
  });

  it('loads earlier output and rewrites the screen from the new start', async () => {
    const screen = new Screen();
    const feed = new OutputFeed(screen, fetchRange);
    feed.begin(60, part(60, 70));
    expect(await feed.loadEarlier(32)).toBe(true);
    expect(screen.text).toBe(LOG.slice(28, 70));
    expect(await feed.loadEarlier(100)).toBe(true);
    expect(await feed.loadEarlier(100)).toBe(false);
    expect(screen.text).toBe(LOG.slice(0, 70));
    expect(feed.log.start).toBe(0);
  });

  it('jumps ahead on a tail without fetching what it skipped', async () => {
    const screen = new Screen();
    const feed = new OutputFeed(screen, fetchRange);
    feed.begin(0, part(0, 10));
    feed.jumpTo(80, enc('[skipped]'));
    feed.push(80, part(80, 90));
    await settle();
    expect(fetches).toEqual([]);
    expect(screen.text).toBe(`[skipped]${LOG.slice(80, 90)}`);
    feed.jumpTo(50, enc('[ignored: behind the end]'));
    expect(screen.clears).toBe(1);
  });
});
