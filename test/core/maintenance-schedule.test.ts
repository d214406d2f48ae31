import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryEventSink } from '../../functions/core/events.js';
import { createApp } from '../../functions/core/app.js';
import { DAILY_JOBS, jobsOfEvent } from '../../functions/core/maintenance-event.js';
import { buildsPlugin } from '../../functions/local/builds-plugin.js';
import { maintenancePlugin } from '../../functions/local/maintenance-plugin.js';
import { startTestService, type TestService } from '../support/service.js';

describe('maintenance schedule events', () => {
  it('maps rule inputs and plain scheduled events to jobs, refuses anything else', () => {
    expect(jobsOfEvent({ job: 'prune' })).toEqual(['prune']);
    expect(jobsOfEvent({ job: 'reconcile' })).toEqual(['reconcile']);
    expect(jobsOfEvent({ 'detail-type': 'Scheduled Event', source: 'aws.events', detail: {} })).toEqual(DAILY_JOBS);
    expect(() => jobsOfEvent({ job: 'sweep' })).toThrow(/not a maintenance event/);
    expect(() => jobsOfEvent({})).toThrow(/not a maintenance event/);
    expect(() => jobsOfEvent(null)).toThrow(/not a maintenance event/);
  });
});

describe('maintenance under npm start', () => {
  let t: TestService;

  beforeAll(async () => {
    t = await startTestService({
      plugins: [
        buildsPlugin({ maxBuilders: 1 }),
        maintenancePlugin(),
      ],
    });
  });

  afterAll(async () => {
    await t?.stop();
  });

  it('composes the jobs from the local build system; a scheduled event runs the daily jobs', async () => {
    const alice = await t.user('alice');
    const res = await alice.send('POST', 'project/add/alice', {
      query: { ownername: 'alice', exist_ok: false },
      json: { name: 'short', chroots: ['fedora-44-x86_64'], delete_after_days: 1 },
    });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    const events = new MemoryEventSink();
    // A day and a bit later, by the service's own store and results.
    const later = { now: () => Date.now() + 2 * 86_400_000 };
    // The service's own ports and settings, composed again with a later clock and a recording sink.
    const app = createApp({ ...t.service.app.ports, clock: later, events }, t.service.app.settings);
    const reports = await app.maintenance.runEvent({ 'detail-type': 'Scheduled Event', source: 'aws.events' });
    expect(reports.map((r) => r.job)).toEqual(DAILY_JOBS);
    expect(reports[0]!.changed).toEqual(['alice/short']);
    expect((await t.anon.get('project', { ownername: 'alice', projectname: 'short' })).status).toBe(404);
    expect(events.events.map((e) => e.type)).toEqual(['project.deleted']);
  });
});
