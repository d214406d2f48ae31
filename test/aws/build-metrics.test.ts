import { describe, expect, it } from 'vitest';
import { withBuildMetrics } from '../../functions/aws/build-metrics.js';
import { buildFinishedEvent, MemoryEventSink } from '../../functions/core/events.js';

const task = { owner: 'alice', project: 'p', build_id: 7, task_id: '7-fedora-44-x86_64', chroot: 'fedora-44-x86_64' };

describe('build metrics (EMF)', () => {
  it('writes one BuildsFailed metric line for a failed task and forwards every event', async () => {
    const lines: string[] = [];
    const next = new MemoryEventSink();
    const sink = withBuildMetrics(next, (l) => lines.push(l));
    await sink.publish(buildFinishedEvent(task, 'failed', 1_800_000_000_000));
    await sink.publish(buildFinishedEvent(task, 'succeeded', 1_800_000_000_001));
    expect(lines).toHaveLength(1);
    const emf = JSON.parse(lines[0]!) as Record<string, unknown> & { _aws: { CloudWatchMetrics: unknown[]; Timestamp: number } };
    expect(emf._aws.CloudWatchMetrics).toEqual([{ Namespace: 'Copr', Dimensions: [[]], Metrics: [{ Name: 'BuildsFailed', Unit: 'Count' }] }]);
    expect(emf._aws.Timestamp).toBe(1_800_000_000_000);
    expect(emf.BuildsFailed).toBe(1);
    expect(next.events.map((e) => e.type)).toEqual(['build.finished', 'build.finished']);
  });
});
