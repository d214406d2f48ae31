import { describe, expect, it } from 'vitest';
import type { NextTaskResponse } from '../../functions/core/builder-protocol.js';
import { runWarmLoop } from '../../builder-ami/agent/warm-loop.js';

/** The warm builder's loop on a simulated clock: sleeps advance time, nothing waits for real. */
function harness(replies: Array<NextTaskResponse | Error>) {
  let t = 0;
  const log: string[] = [];
  const client = {
    nextTask: async (): Promise<NextTaskResponse> => {
      const r = replies.shift() ?? { task_id: null, retry_after: 10 };
      log.push(`poll@${t}`);
      if (r instanceof Error) throw r;
      return r;
    },
    leave: async (): Promise<void> => void log.push(`leave@${t}`),
  };
  return {
    log,
    run: (idleMs: number, taskMs = 50_000) =>
      runWarmLoop({
        client,
        idleMs,
        now: () => t,
        sleep: async (ms) => void (t += ms),
        alive: () => log.push(`alive@${t}`),
        runTask: async (id) => {
          log.push(`run ${id}@${t}`);
          t += taskMs;
        },
      }),
  };
}

describe('warm builder loop', () => {
  it('runs the tasks it is given and terminates after the idle period without work', async () => {
    const h = harness([{ task_id: '7', credential: 'c7' }, { task_id: null, retry_after: 10 }, { task_id: '8', credential: 'c8' }]);
    const result = await h.run(60_000);
    expect(result).toEqual({ tasks: 2, reason: 'idle' });
    const runs = h.log.filter((l) => l.startsWith('run'));
    expect(runs).toEqual(['run 7@0', 'run 8@60000']);
    // Idle from the end of task 8 (110 s): polls every 10 s until 170 s, then leaves.
    expect(h.log.at(-1)).toBe('leave@170000');
    expect(h.log.filter((l) => l.startsWith('poll')).at(-1)).toBe('poll@160000');
    // A sign of life before every poll and task (the instance watchdog reads it).
    expect(h.log.filter((l) => l.startsWith('alive')).length).toBeGreaterThanOrEqual(h.log.filter((l) => l.startsWith('poll')).length);
  });

  it('stops at once when the service says stop', async () => {
    const h = harness([{ task_id: null, stop: true }]);
    expect(await h.run(300_000)).toEqual({ tasks: 0, reason: 'stop' });
    expect(h.log.filter((l) => l.startsWith('leave'))).toEqual([]);
  });

  it('backs off while the service is unreachable, and still ends at the idle period', async () => {
    const down = new Error('connect ECONNREFUSED');
    const h = harness([down, down, down, down, down, down, down, down]);
    expect(await h.run(100_000)).toEqual({ tasks: 0, reason: 'idle' });
    const polls = h.log.filter((l) => l.startsWith('poll')).map((l) => Number(l.split('@')[1]));
    // 2 s, 4 s, 8 s, 16 s, 32 s apart, then capped by what is left of the idle period.
    expect(polls.slice(0, 6)).toEqual([0, 2000, 6000, 14000, 30000, 62000]);
    expect(h.log.at(-1)).toBe('leave@100000');
  });
});
