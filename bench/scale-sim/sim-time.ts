import type { Clock } from '../../functions/core/ports.js';

/**
 * Simulated time. The clock is the core's Clock port: every use case reads it, so
 * heartbeat leases, claim times and the reaper's timeout all live in simulated
 * time. `offset` is time spent inside one exclusive step (a dispatcher invocation
 * waiting on its launches): the core sees it pass, the rest of the world does not
 * run meanwhile, and it is dropped when the step ends.
 */
export class SimClock implements Clock {
  /** Epoch ms of simulated second 0 (a fixed date, so runs are repeatable). */
  readonly epoch = Date.UTC(2026, 0, 5, 0, 0, 0);
  private t = 0;
  offset = 0;

  now(): number {
    return this.epoch + this.t + this.offset;
  }
  /** Simulated seconds since the start, offset included. */
  seconds(): number {
    return (this.t + this.offset) / 1000;
  }
  setSeconds(s: number): void {
    this.t = s * 1000;
  }
}

interface Timer {
  at: number;
  seq: number;
  exclusive: boolean;
  run: () => void | Promise<void>;
}

/**
 * A discrete-event scheduler over whole simulated seconds. Simulated actors are
 * plain async functions that `await sleep(s)`; at each second every actor due
 * resumes at once (they run concurrently against DynamoDB Local) and the
 * scheduler waits until each has reached its next sleep or its end before time
 * moves on. Exclusive steps (dispatcher invocations) run after them, one at a time.
 */
export class Scheduler {
  private heap: Timer[] = [];
  private seq = 0;
  private running = 0;
  private idleWaiters: Array<() => void> = [];
  private failure: unknown = null;

  constructor(readonly clock: SimClock) {}

  get now(): number {
    return Math.floor(this.clock.seconds());
  }

  /** Resumes the calling actor `seconds` later (at least one second: time moves in whole seconds). */
  sleep(seconds: number): Promise<void> {
    return new Promise((resolve) => {
      const run = () => {
        this.running++;
        resolve();
      };
      this.push({ at: this.now + Math.max(1, Math.round(seconds)), seq: this.seq++, exclusive: false, run });
      this.done();
    });
  }

  /** Starts an actor at simulated second `at`. */
  spawn(at: number, actor: () => Promise<void>): void {
    this.push({
      at: Math.max(this.now, Math.round(at)),
      seq: this.seq++,
      exclusive: false,
      run: () => {
        this.running++;
        actor().then(
          () => this.done(),
          (err: unknown) => {
            this.failure ??= err;
            this.done();
          },
        );
      },
    });
  }

  /** Runs `step` at second `at` with nothing else running. */
  exclusive(at: number, step: () => Promise<void>): void {
    this.push({ at: Math.max(this.now, Math.round(at)), seq: this.seq++, exclusive: true, run: step });
  }

  /** Time of the next event, or null when nothing is scheduled. */
  peek(): number | null {
    return this.heap[0]?.at ?? null;
  }

  /** Runs the events of the next due second; false when none is left. */
  async step(): Promise<boolean> {
    const first = this.heap[0];
    if (!first) return false;
    const at = first.at;
    this.clock.setSeconds(at);
    const due: Timer[] = [];
    while (this.heap[0] && this.heap[0].at === at) due.push(this.pop());
    // A resumed actor counts as running until it sleeps again or ends.
    for (const t of due) if (!t.exclusive) void t.run();
    await this.idle();
    for (const t of due) {
      if (!t.exclusive) continue;
      await t.run();
      this.clock.offset = 0;
      await this.idle();
    }
    if (this.failure) throw this.failure;
    return true;
  }

  private async idle(): Promise<void> {
    // Let resumed actors start before looking at the count.
    await new Promise((r) => setImmediate(r));
    if (this.running === 0) return;
    await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
  }

  private done(): void {
    this.running--;
    if (this.running <= 0) {
      this.running = 0;
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const w of waiters) w();
    }
  }

  private push(t: Timer): void {
    const h = this.heap;
    h.push(t);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!before(h[i]!, h[p]!)) break;
      [h[i], h[p]] = [h[p]!, h[i]!];
      i = p;
    }
  }

  private pop(): Timer {
    const h = this.heap;
    const top = h[0]!;
    const last = h.pop()!;
    if (h.length > 0) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && before(h[l]!, h[m]!)) m = l;
        if (r < h.length && before(h[r]!, h[m]!)) m = r;
        if (m === i) break;
        [h[i], h[m]] = [h[m]!, h[i]!];
        i = m;
      }
    }
    return top;
  }
}

const before = (a: Timer, b: Timer) => a.at < b.at || (a.at === b.at && a.seq < b.seq);
