/**
 * Serializes async work per key: work for one key runs one at a time in arrival
 * order, work for different keys runs concurrently. Used for one GnuPG homedir
 * (gpg-agent and key generation are not safe to race) and one repository.
 */
export class KeyedMutex {
  private readonly tails = new Map<string, Promise<unknown>>();

  run<T>(key: string, work: () => Promise<T>): Promise<T> {
    const prev = this.tails.get(key) ?? Promise.resolve();
    const next = prev.then(work, work);
    // The stored tail never rejects, so one failure does not poison later work.
    const tail = next.then(
      () => undefined,
      () => undefined,
    );
    this.tails.set(key, tail);
    void tail.then(() => {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    });
    return next;
  }
}
