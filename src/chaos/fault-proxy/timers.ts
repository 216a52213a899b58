/**
 * Timers owned by one proxy, so that closing it cancels every pending delay at once (nothing
 * keeps the event loop alive, nothing writes to a socket after close). A sleep cancelled by
 * `dispose` never resolves: its waiter is simply dropped, which is what a closed proxy wants.
 */
export class Timers {
  private readonly pending = new Set<NodeJS.Timeout>();
  private disposed = false;

  after(ms: number, fn: () => void): void {
    if (this.disposed) return;
    const timer = setTimeout(() => {
      this.pending.delete(timer);
      fn();
    }, ms);
    this.pending.add(timer);
  }

  sleep(ms: number): Promise<void> {
    if (ms <= 0) return Promise.resolve();
    return new Promise((resolve) => this.after(ms, resolve));
  }

  dispose(): void {
    this.disposed = true;
    for (const timer of this.pending) clearTimeout(timer);
    this.pending.clear();
  }
}
