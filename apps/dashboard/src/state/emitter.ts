/** The smallest observable: views listen, stores call `changed()` after they change. */
export class Emitter {
  private readonly listeners = new Set<() => void>();

  /** Adds a listener; the returned function removes it. */
  listen(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  protected changed(): void {
    for (const listener of [...this.listeners]) listener();
  }
}
