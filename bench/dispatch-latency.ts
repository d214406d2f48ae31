import { ms, percentile, tempDir, waitFor, type BenchPart, type PartResult } from './harness.js';
import { makeSrpm, startBuildStack, submitUpload, waitFinished, waitIdle } from './build-stack.js';

/**
 * Dispatch latency on the full local build system: from the moment the client
 * has the answer of `POST /api_3/build/create/upload` to the moment the builder
 * process has its task (the answer to its first `GET /backend/builder/task`,
 * timed on the server by a mount that hands the request to the same API
 * handler). It covers the in-process wake-up, the dispatcher pass (reads, claim
 * transaction), spawning the builder (node + tsx loading the agent) and the
 * builder's credential check. Every build waits for the previous one to finish
 * and all builders to exit, so each task finds a free slot.
 */
const BUILDS = 20;

export const dispatchLatencyPart: BenchPart = {
  name: 'dispatch-latency',
  title: `submit answer → builder has its task, ${BUILDS} builds, free slot each time`,
  async run(): Promise<PartResult> {
    const work = tempDir('dispatch');
    const b = await startBuildStack(2);
    try {
      const srpm = makeSrpm('hello-noarch.spec', ['hello.sh'], work.path);
      const toFetched: number[] = [];
      const toArrived: number[] = [];
      const toLaunch: number[] = [];
      const spawning: number[] = [];
      const agentStart: number[] = [];
      const states: Record<string, number> = {};
      for (let i = 0; i < BUILDS; i++) {
        await waitIdle(b, 60_000);
        const sub = await submitUpload(b.alice, srpm);
        const fetch = await waitFor(`builder of build ${sub.id} to fetch its task`, () => b.fetches.get(String(sub.id)), 30_000, 5);
        if (fetch.status !== 200) throw new Error(`builder task fetch answered ${fetch.status}`);
        const launch = b.launches.get(String(sub.id));
        if (!launch) throw new Error(`no launch seen for build ${sub.id}`);
        toLaunch.push(launch.calledAt - sub.answeredAt);
        spawning.push(launch.spawnedAt - launch.calledAt);
        agentStart.push(fetch.arrivedAt - launch.spawnedAt);
        toArrived.push(fetch.arrivedAt - sub.answeredAt);
        toFetched.push(fetch.answeredAt - sub.answeredAt);
        const state = await waitFinished(b.alice, sub.id, 120_000, 100);
        states[state] = (states[state] ?? 0) + 1;
      }
      const row = (label: string, v: number[]) => [label, v.length, ms(percentile(v, 50)), ms(percentile(v, 99)), ms(Math.min(...v)), ms(Math.max(...v))];
      return {
        tables: [
          {
            title: `dispatch latency (maxBuilders 2, hello-noarch SRPM upload, ${BUILDS} builds)`,
            head: ['interval', 'n', 'p50 ms', 'p99 ms', 'min ms', 'max ms'],
            rows: [
              row('submit answered → Fleet.launch (wake, pass, claim)', toLaunch),
              row('Fleet.launch → builder process spawned', spawning),
              row('spawned → task request reaches server (agent start)', agentStart),
              row('submit answered → task request reaches server', toArrived),
              row('submit answered → builder has its task', toFetched),
            ],
            notes: [
              'Task fetch timed on the server: a mount on /backend/builder/task hands the request to the same API handler and notes the first fetch per task.',
              'Fleet.launch observed by wrapping the LocalFleet instance the dispatcher calls (the call itself is unchanged).',
              'Between builds the bench waits for builders to exit and the publisher to go idle.',
              `Outcome of the builds: ${Object.entries(states).map(([s, n]) => `${n} ${s}`).join(', ')}.`,
              'With 20 samples p99 is the maximum.',
            ],
          },
        ],
      };
    } finally {
      await b.stop();
      work.remove();
    }
  },
};
