/**
 * Stops what a scenario started, newest first, even when a step failed halfway: every stop
 * runs, and the first one that failed is rethrown once all have run.
 */
export class Teardown {
  readonly #stops: (() => unknown)[] = [];

  /** Registers `stop` to run before everything registered earlier. */
  defer(stop: () => unknown): void {
    this.#stops.push(stop);
  }

  async run(): Promise<void> {
    let failure: { error: unknown } | undefined;
    for (const stop of this.#stops.splice(0).reverse()) {
      try {
        await stop();
      } catch (error) {
        failure ??= { error };
      }
    }
    if (failure) throw failure.error;
  }
}
