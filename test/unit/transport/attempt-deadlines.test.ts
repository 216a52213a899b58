import { afterEach, describe, expect, it } from 'vitest';
import { DeadlineWatcher } from '../../../src/transport/attempt-deadlines.js';
import type { AttemptWatch, WatchedAttempt } from '../../../src/transport/attempt-deadlines.js';
import { waitFor } from '../../helpers/wait.js';

class FakeAttempt implements WatchedAttempt {
  readonly startedAt = performance.now();
  answered = false;
  expiredAfterMs: number | undefined;
  private readonly watch: AttemptWatch;
  constructor(
    private readonly watcher: DeadlineWatcher,
    readonly timeoutMs: number,
    readonly firstByteTimeoutMs: number | undefined = undefined,
  ) {
    this.watch = watcher.watch(this);
  }
  expire(afterMs: number): void {
    this.expiredAfterMs = afterMs;
    this.settle();
  }
  settle(): void {
    this.watcher.unwatch(this.watch);
  }
}

describe('DeadlineWatcher', () => {
  let lastAnswerAt = -Infinity;
  const watchers: DeadlineWatcher[] = [];
  const watcher = (): DeadlineWatcher => {
    const w = new DeadlineWatcher({ tickMs: 5, lastAnswerAt: () => lastAnswerAt });
    watchers.push(w);
    return w;
  };
  afterEach(() => {
    for (const w of watchers.splice(0)) w.stop();
    lastAnswerAt = -Infinity;
  });

  it('expires an attempt at its hard timeout, answered or not', async () => {
    const w = watcher();
    const silent = new FakeAttempt(w, 40);
    const answered = new FakeAttempt(w, 40, 10);
    answered.answered = true;
    await waitFor(() => silent.expiredAfterMs !== undefined && answered.expiredAfterMs !== undefined, { timeoutMs: 2000, what: 'both expired' });
    expect(silent.expiredAfterMs).toBe(40);
    expect(answered.expiredAfterMs).toBe(40);
    expect(performance.now() - silent.startedAt).toBeGreaterThanOrEqual(40);
  });

  it('expires at the first-byte limit an attempt to an upstream that answers nothing', async () => {
    const attempt = new FakeAttempt(watcher(), 5000, 20);
    await waitFor(() => attempt.expiredAfterMs !== undefined, { timeoutMs: 2000, what: 'first-byte expiry' });
    expect(attempt.expiredAfterMs).toBe(20);
  });

  it('does not judge the first-byte limit while other requests to the upstream get answers', async () => {
    const w = watcher();
    const attempt = new FakeAttempt(w, 5000, 50);
    const feed = setInterval(() => (lastAnswerAt = performance.now()), 2);
    try {
      // Well past the first-byte limit: answers keep flowing, so this is queueing, not a hang.
      const probe = new FakeAttempt(w, 200);
      await waitFor(() => probe.expiredAfterMs !== undefined, { timeoutMs: 2000, what: 'probe expiry' });
      expect(attempt.expiredAfterMs).toBeUndefined();
    } finally {
      clearInterval(feed);
    }
    // The upstream goes silent: the limit now applies.
    await waitFor(() => attempt.expiredAfterMs !== undefined, { timeoutMs: 2000, what: 'first-byte expiry after silence' });
    expect(attempt.expiredAfterMs).toBe(50);
  });

  it('never expires an attempt that already settled, and stops ticking when nothing is watched', async () => {
    const w = watcher();
    const attempt = new FakeAttempt(w, 10);
    attempt.settle();
    attempt.settle(); // twice is harmless
    expect(w.watching).toBe(0);
    const other = new FakeAttempt(w, 30);
    await waitFor(() => other.expiredAfterMs !== undefined, { timeoutMs: 2000, what: 'other expiry' });
    expect(attempt.expiredAfterMs).toBeUndefined();
    expect(w.watching).toBe(0);
  });

  it('keeps watching the others when attempts settle out of order', async () => {
    const w = watcher();
    const attempts = Array.from({ length: 6 }, (_, i) => new FakeAttempt(w, 20 + i));
    for (const i of [1, 4, 0]) attempts[i]?.settle();
    expect(w.watching).toBe(3);
    await waitFor(() => w.watching === 0, { timeoutMs: 2000, what: 'the rest expired' });
    expect(attempts.map((a) => a.expiredAfterMs !== undefined)).toEqual([false, false, true, true, false, true]);
  });
});
