/**
 * In-process wake-ups under `npm start` (the SQS wake-up queues of the AWS stack).
 * The core's `wake`/`wakeActions` ports fire them; a worker (the builds or actions
 * plugin) listens while it runs. Like an SQS message nobody consumes, a wake-up
 * with no listener is simply lost: the table stays the source of truth and the
 * worker's poll finds the work when it starts.
 */
export type WakeTarget = 'dispatcher' | 'actions';

export class LocalWakeups {
  private readonly listeners: Record<WakeTarget, Set<() => void>> = { dispatcher: new Set(), actions: new Set() };

  /** Registers a listener; returns its removal. */
  on(target: WakeTarget, listener: () => void): () => void {
    this.listeners[target].add(listener);
    return () => this.listeners[target].delete(listener);
  }

  async fire(target: WakeTarget): Promise<void> {
    for (const l of this.listeners[target]) l();
  }
}
