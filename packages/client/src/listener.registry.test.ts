import { ListenerRegistry } from './listener.registry';

interface Events {
  ping: (n: number) => void;
}

describe('ListenerRegistry', () => {
  it('calls listeners until the returned function removes them', () => {
    const registry = new ListenerRegistry<Events>(() => undefined);
    const seen: number[] = [];
    const off = registry.add('ping', (n) => seen.push(n));
    registry.emit('ping', 1);
    off();
    registry.emit('ping', 2);
    expect(seen).toEqual([1]);
    expect(registry.has('ping')).toBe(false);
  });

  it('isolates a throwing listener from the others', () => {
    const failures: string[] = [];
    const registry = new ListenerRegistry<Events>((_error, event) => failures.push(event));
    const seen: number[] = [];
    registry.add('ping', () => {
      throw new Error('boom');
    });
    registry.add('ping', (n) => seen.push(n));
    registry.emit('ping', 7);
    expect(seen).toEqual([7]);
    expect(failures).toEqual(['ping']);
  });
});
