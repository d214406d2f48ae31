import { Scheduler, SimClock } from './scale-sim/sim-time.js';
const s = new Scheduler(new SimClock());
s.spawn(0, async () => { console.log('a start', s.now); await s.sleep(5); console.log('a woke', s.now); await new Promise(r => setTimeout(r, 10)); await s.sleep(2); console.log('a end', s.now); });
s.spawn(1, async () => { console.log('b', s.now); });
while (await s.step()) console.log('step', s.now);
console.log('done');
