/**
 * The configured client keys, looked up in constant time: the presented key and every configured
 * key are hashed to the same length and all of them are compared with timingSafeEqual, so neither
 * the position of a mismatch nor which entry matched shows in the response time.
 */
import { createHash, timingSafeEqual } from 'node:crypto';

export interface KeyEntry<T> {
  secret: string;
  value: T;
}

export class KeyTable<T> {
  private readonly entries: ReadonlyArray<{ digest: Buffer; value: T }>;

  constructor(entries: ReadonlyArray<KeyEntry<T>>) {
    this.entries = entries.map((e) => ({ digest: digest(e.secret), value: e.value }));
  }

  get size(): number {
    return this.entries.length;
  }

  /** The entry whose secret equals `presented`; every entry is compared whatever the answer. */
  find(presented: string): T | undefined {
    const candidate = digest(presented);
    let found: T | undefined;
    for (const e of this.entries) {
      if (timingSafeEqual(e.digest, candidate) && found === undefined) found = e.value;
    }
    return found;
  }
}

function digest(secret: string): Buffer {
  return createHash('sha256').update(secret).digest();
}
