/**
 * A small typed event emitter with no Node dependency. A listener that throws does not
 * stop the other listeners, nor the client that emits: the error goes to `onListenerError`.
 */
export class ListenerRegistry<Events extends { [K in keyof Events]: (...args: never[]) => void }> {
  private readonly listeners = new Map<keyof Events, Set<Events[keyof Events]>>();

  constructor(private readonly onListenerError: (error: unknown, event: string) => void) {}

  /** Adds a listener; the returned function removes it. */
  add<K extends keyof Events>(event: K, listener: Events[K]): () => void {
    let set = this.listeners.get(event);
    if (!set) {
      set = new Set();
      this.listeners.set(event, set);
    }
    set.add(listener);
    return () => this.remove(event, listener);
  }

  remove<K extends keyof Events>(event: K, listener: Events[K]): void {
    const set = this.listeners.get(event);
    if (!set) return;
    set.delete(listener);
    if (set.size === 0) this.listeners.delete(event);
  }

  emit<K extends keyof Events>(event: K, ...args: Parameters<Events[K]>): void {
    const set = this.listeners.get(event);
    if (!set) return;
    // A copy: a listener may remove itself (or others) while we iterate.
    for (const listener of [...set]) {
      try {
        (listener as (...a: Parameters<Events[K]>) => void)(...args);
      } catch (error) {
        this.onListenerError(error, String(event));
      }
    }
  }

  has(event: keyof Events): boolean {
    return this.listeners.has(event);
  }

  clear(): void {
    this.listeners.clear();
  }
}
