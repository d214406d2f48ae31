import type { CoprEvent, EventSink } from '../core/events.js';

/**
 * Build metrics as CloudWatch Embedded Metric Format log lines: the Lambda log
 * stream turns them into the `Copr/BuildsFailed` metric the failed-builds alarm
 * watches (lib/constructs/observability.ts), with no metrics API call. Wraps the
 * event sink, since a failed task is exactly a `build.finished` event with status
 * `failed`.
 */
export const BUILD_METRICS = { namespace: 'Copr', buildsFailed: 'BuildsFailed' } as const;

export function emfLine(event: CoprEvent): string | null {
  if (event.type !== 'build.finished' || event.status !== 'failed') return null;
  return JSON.stringify({
    _aws: {
      Timestamp: event.time,
      CloudWatchMetrics: [{ Namespace: BUILD_METRICS.namespace, Dimensions: [[]], Metrics: [{ Name: BUILD_METRICS.buildsFailed, Unit: 'Count' }] }],
    },
    [BUILD_METRICS.buildsFailed]: 1,
    build_id: event.build_id,
    chroot: event.chroot,
  });
}

export function withBuildMetrics(next: EventSink | undefined, write: (line: string) => void = (l) => void process.stdout.write(`${l}\n`)): EventSink {
  return {
    async publish(event) {
      const line = emfLine(event);
      if (line) write(line);
      await next?.publish(event);
    },
  };
}
