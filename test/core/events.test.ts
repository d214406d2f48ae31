import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { EventBridgeSink } from '../../functions/adapters/eventbridge-sink.js';
import { JsonlEventSink } from '../../functions/adapters/jsonl-event-sink.js';
import { buildFinishedEvent, buildStartedEvent, CoprEvent, newEvent } from '../../functions/core/events.js';
import { makeTmp, removeTmp } from '../publish/helpers.js';

const finished = newEvent(
  { type: 'build.finished', ownername: 'alice', projectname: 'hello', build_id: 12, task_id: '12-fedora-41-x86_64', chroot: 'fedora-41-x86_64', status: 'succeeded' },
  1_800_000_000_123,
  'f7c4a1b2-0000-4000-8000-000000000001',
);

describe('events', () => {
  it('newEvent stamps and validates; malformed events are refused', () => {
    expect(finished).toEqual({
      type: 'build.finished',
      id: 'f7c4a1b2-0000-4000-8000-000000000001',
      time: 1_800_000_000_123,
      ownername: 'alice',
      projectname: 'hello',
      build_id: 12,
      task_id: '12-fedora-41-x86_64',
      chroot: 'fedora-41-x86_64',
      status: 'succeeded',
    });
    const created = newEvent({ type: 'project.created', ownername: 'alice', projectname: 'p', project_id: 3 }, 5);
    expect(created.id).toMatch(/^[0-9a-f-]{36}$/);
    // @ts-expect-error status is not a build.finished status
    expect(() => newEvent({ ...finished, status: 'exploded' }, 1)).toThrow();
    // @ts-expect-error no such event type
    expect(() => newEvent({ type: 'build.exploded', ownername: 'a', projectname: 'b' }, 1)).toThrow();
  });

  it('build events from a task', () => {
    const task = { task_id: '12-fedora-41-x86_64', build_id: 12, chroot: 'fedora-41-x86_64', owner: 'alice', project: 'hello' };
    expect(buildStartedEvent(task, 7)).toMatchObject({ type: 'build.started', time: 7, ownername: 'alice', projectname: 'hello', build_id: 12, task_id: task.task_id, chroot: task.chroot });
    const { id: _a, ...done } = buildFinishedEvent(task, 'succeeded', 1_800_000_000_123);
    const { id: _b, ...expected } = finished;
    void _a, _b;
    expect(done).toEqual(expected);
  });

  describe('JsonlEventSink', () => {
    let tmp: string;
    beforeAll(async () => {
      tmp = await makeTmp('events');
    });
    afterAll(async () => {
      await removeTmp(tmp);
    });

    it('appends one JSON line per event, whole lines under concurrency', async () => {
      const sink = JsonlEventSink.inDataDir(join(tmp, 'data'));
      const many = Array.from({ length: 50 }, (_, i) =>
        newEvent({ type: 'build.started', ownername: 'alice', projectname: 'hello', build_id: i + 1, task_id: String(i + 1), chroot: null }, i),
      );
      await Promise.all([finished, ...many].map((e) => sink.publish(e)));
      const lines = (await readFile(join(tmp, 'data', 'events.jsonl'), 'utf8')).split('\n');
      expect(lines.pop()).toBe('');
      expect(lines.length).toBe(51);
      const parsed = lines.map((l) => CoprEvent.parse(JSON.parse(l)));
      expect(parsed[0]).toEqual(finished);
      expect(parsed.slice(1).map((e) => (e.type === 'build.started' ? e.build_id : 0))).toEqual(many.map((_, i) => i + 1));
    });
  });

  describe('EventBridgeSink', () => {
    const eb = mockClient(EventBridgeClient);
    afterEach(() => eb.reset());

    it('sends one PutEvents entry: source copr, detail-type the event type, detail the event', async () => {
      eb.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'e1' }] });
      await new EventBridgeSink(new EventBridgeClient({ region: 'us-east-1' }), 'copr-bus').publish(finished);
      const calls = eb.commandCalls(PutEventsCommand);
      expect(calls.length).toBe(1);
      expect(calls[0]!.args[0].input).toEqual({
        Entries: [
          {
            EventBusName: 'copr-bus',
            Source: 'copr',
            DetailType: 'build.finished',
            Detail: JSON.stringify(finished),
            Time: new Date(1_800_000_000_123),
          },
        ],
      });
    });

    it('reports an entry EventBridge rejected', async () => {
      eb.on(PutEventsCommand).resolves({ FailedEntryCount: 1, Entries: [{ ErrorCode: 'ThrottlingException', ErrorMessage: 'slow down' }] });
      await expect(new EventBridgeSink(new EventBridgeClient({ region: 'us-east-1' }), 'copr-bus').publish(finished)).rejects.toThrow(
        /ThrottlingException slow down/,
      );
    });
  });
});
