import { startBenchDynamo } from './local-stack.js';
import { simulate } from './scale-sim/simulate.js';
console.log('start');  const ddb = await startBenchDynamo(); console.log('ddb', ddb.endpoint);
try {
  const N = Number(process.env.N ?? 100);
  const r = await simulate({ endpoint: ddb.endpoint, table: 'sim-try', builds: N, fleet: Number(process.env.F ?? 20), strategy: 'cold', realEverySeconds: Number(process.env.R ?? 0), onProgress: console.log });
  console.log('sim s', r.simSeconds, 'wall s', (r.wallMs/1000).toFixed(1), 'lastFinal', r.lastFinalAt, 'launches', r.fleet.launches, 'requests', r.api.requests);
  console.log('db', r.db.total.reads, r.db.total.writes, r.db.total.rru, r.db.total.wru, 'disp', r.dispatcher, 'reaper', r.reaper);
  console.log([...r.api.stats].map(([k, s]) => `${k}: real ${s.real} replay ${s.replayed}`).join('\n'));
  const top = [...r.db.total.perKey].sort((a, b) => b[1] - a[1]).slice(0, 10); console.log(top);
} catch (e) { console.error(e); } finally { await ddb.stop(); process.exit(0); }
