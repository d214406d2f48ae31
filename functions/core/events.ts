import type { LogFields, Logger } from './ports.js';
import { randomUUID } from 'node:crypto';
import * as z from 'zod';

/**
 * Notifications: what happened in the system, for whoever listens (EventBridge
 * rules on AWS, `<data dir>/events.jsonl` locally). Every event is validated
 * against its schema before it leaves, so consumers can rely on docs/events.md.
 * Publishing is best effort for the caller's purpose (a lost notification never
 * undoes the work it reports), but sinks do report their failures.
 */
const Common = {
  /** Unique per event; consumers deduplicate on it. */
  id: z.string().min(1),
  /** Epoch milliseconds when it happened. */
  time: z.number().int().nonnegative(),
  ownername: z.string().min(1),
  projectname: z.string().min(1),
};

const BuildCommon = {
  ...Common,
  build_id: z.number().int().positive(),
  /** `<build_id>` (SRPM stage) or `<build_id>-<chroot>`. */
  task_id: z.string().min(1),
  /** null for the SRPM stage. */
  chroot: z.string().nullable(),
};

export const BuildStarted = z.object({ type: z.literal('build.started'), ...BuildCommon });
export const BuildFinished = z.object({
  type: z.literal('build.finished'),
  ...BuildCommon,
  status: z.enum(['succeeded', 'failed', 'canceled', 'skipped']),
});
export const ProjectCreated = z.object({ type: z.literal('project.created'), ...Common, project_id: z.number().int() });
export const ProjectUpdated = z.object({ type: z.literal('project.updated'), ...Common, project_id: z.number().int() });
export const ProjectDeleted = z.object({
  type: z.literal('project.deleted'),
  ...Common,
  project_id: z.number().int(),
  /** `user`: deleted through the API; `expired`: a temporary project reached delete_after. */
  reason: z.enum(['user', 'expired']),
});
/** A project chroot whose mock chroot went EOL: its data is removed at `delete_after`. */
export const ProjectChrootEol = z.object({
  type: z.literal('project.chroot_eol'),
  ...Common,
  chroot: z.string().min(1),
  /** Epoch seconds when the chroot's repositories and results are removed. */
  delete_after: z.number().int(),
});

export const CoprEvent = z.discriminatedUnion('type', [BuildStarted, BuildFinished, ProjectCreated, ProjectUpdated, ProjectDeleted, ProjectChrootEol]);
export type CoprEvent = z.infer<typeof CoprEvent>;
export type CoprEventType = CoprEvent['type'];

/** Events as callers write them: id and time are filled in by `newEvent`. */
type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
export type CoprEventInput = DistributiveOmit<CoprEvent, 'id' | 'time'>;

/** Where events go. */
export interface EventSink {
  publish(event: CoprEvent): Promise<void>;
}

/** Stamps and validates an event (throws a ZodError for a malformed one: a bug, not input). */
export function newEvent(input: CoprEventInput, now: number, id: string = randomUUID()): CoprEvent {
  return CoprEvent.parse({ ...input, id, time: now });
}

/** For deployments and tests that do not listen. */
export const discardEvents: EventSink = { publish: async () => undefined };

/** Keeps events in memory (tests, and composing several sinks). */
export class MemoryEventSink implements EventSink {
  readonly events: CoprEvent[] = [];

  async publish(event: CoprEvent): Promise<void> {
    this.events.push(CoprEvent.parse(event));
  }
}

/** The task fields build events carry (functions/core/build-model.ts `Task`). */
interface TaskRef {
  task_id: string;
  build_id: number;
  chroot: string | null;
  owner: string;
  project: string;
}

/** `build.started` for a task a builder has started (for the build lifecycle to publish). */
export function buildStartedEvent(task: TaskRef, now: number): CoprEvent {
  return newEvent({ type: 'build.started', ownername: task.owner, projectname: task.project, build_id: task.build_id, task_id: task.task_id, chroot: task.chroot }, now);
}

/** `build.finished` for a task that reached its outcome. */
export function buildFinishedEvent(task: TaskRef, status: 'succeeded' | 'failed' | 'canceled' | 'skipped', now: number): CoprEvent {
  return newEvent(
    { type: 'build.finished', ownername: task.owner, projectname: task.project, build_id: task.build_id, task_id: task.task_id, chroot: task.chroot, status },
    now,
  );
}

/**
 * Publishes an event without letting a sink failure hold up or fail the work that
 * caused it (a notification is never worth a failed build or request): the error
 * is logged and dropped.
 */
export async function emitSafely(deps: { events: EventSink; log: Logger }, make: () => CoprEvent, fields: LogFields = {}): Promise<void> {
  try {
    await deps.events.publish(make());
  } catch (err) {
    deps.log.error(`events: ${(err as Error).message}`, fields);
  }
}
