/**
 * Runs async operations one at a time, in call order. The devnet uses it so that mining, reorgs
 * and the final step of a catch-up never interleave on the nodes.
 */
export class SerialQueue {
  private tail: Promise<unknown> = Promise.resolve();

  run<T>(op: () => Promise<T>): Promise<T> {
    const result = this.tail.then(op, op);
    // The queue continues whatever the outcome; callers see their own result or error.
    this.tail = result.catch(() => undefined);
    return result;
  }

  /** Resolves once everything queued so far has settled. */
  async idle(): Promise<void> {
    await this.tail;
  }
}
