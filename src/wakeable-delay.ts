/**
 * Resolves after `ms`, or earlier when the owner calls the waiters in `waiters` (e.g. on stop, or
 * when what was waited for arrived); a waiter removes itself either way.
 */
export function wakeableDelay(ms: number, waiters: Set<() => void>): Promise<void> {
  return new Promise((resolve) => {
    const wake = (): void => {
      clearTimeout(timer);
      waiters.delete(wake);
      resolve();
    };
    const timer = setTimeout(wake, ms);
    waiters.add(wake);
  });
}
