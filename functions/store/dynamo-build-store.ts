import { randomUUID } from 'node:crypto';
import {
  BatchWriteCommand,
  GetCommand,
  PutCommand,
  TransactWriteCommand,
  type DynamoDBDocumentClient,
} from '@aws-sdk/lib-dynamodb';
import type { BuildStore, ChrootOutcome } from '../core/build-ports.js';
import type { BuilderRecord } from '../core/builder-pool.js';
import * as builders from './dynamo-builders.js';
import { chrootSummaryOf, FINISHED_STATES, type Build, type BuildChroot, type BuildState, type ChrootSummary, type Task } from '../core/build-model.js';
import { DynamoBuildPages } from './dynamo-build-pages.js';
import { batchDelete, batchGet, batchWrite, isConditionFailure, plainItem, TableClient, type Item } from './dynamo-ops.js';
import { ACTIVE_SHARDS, buildKeys as bk, INDEX, type Key } from './table.js';

type TransactItems = NonNullable<ConstructorParameters<typeof TransactWriteCommand>[0]['TransactItems']>;

/** The build chroot fields the build item's summary mirrors. */
const SUMMARY_FIELDS: ReadonlySet<string> = new Set(['state', 'started_on', 'ended_on']);
/** Tries of a chroot transition whose transaction lost a conflict on its build item (backoff with jitter). */
const CONFLICT_ATTEMPTS = 8;


/** Queue priority inside one owner's partition: SRPM before RPM, normal before background. */
export function taskPriority(t: Pick<Task, 'kind' | 'background'>): number {
  return (t.background ? 2 : 0) + (t.kind === 'srpm' ? 0 : 1);
}

export class DynamoBuildStore extends TableClient implements BuildStore {
  readonly pages: DynamoBuildPages;

  constructor(db: DynamoDBDocumentClient, table: string) {
    super(db, table);
    this.pages = new DynamoBuildPages(db, table, (id) => this.listBuildChroots(id));
  }

  private async write(items: TransactItems): Promise<boolean> {
    try {
      await this.db.send(new TransactWriteCommand({ TransactItems: items }));
      return true;
    } catch (err) {
      if (isConditionFailure(err)) return false;
      throw err;
    }
  }

  // ---- items --------------------------------------------------------------------------

  /** The build item carries its chroots' summary (build-model.ts), written with the chroots. */
  private buildItem(b: Build, chroots: BuildChroot[]): Item {
    return {
      ...bk.build(b.id),
      ...bk.buildOfProject(b.ownername, b.projectname, b.id),
      ...bk.buildInCollection(b.id),
      entity: 'build',
      ...b,
      chroot_summary: chrootSummaryOf(chroots),
    };
  }

  /**
   * Mirrors a change of one build chroot into its build's summary. Conditional on the
   * summary existing: a build stored before summaries has none, and its transaction
   * must then fail on this item alone (see `withSummary`).
   */
  private summaryUpdate(id: number, chroot: string, set: Partial<ChrootSummary>, whole: boolean): TransactItems[number] {
    const fields = Object.entries(set).filter(([k]) => SUMMARY_FIELDS.has(k));
    const names: Record<string, string> = { '#cs': 'chroot_summary', '#c': chroot };
    const values: Record<string, unknown> = {};
    let expr: string;
    if (whole) {
      expr = 'SET #cs.#c = :whole';
      values[':whole'] = set;
    } else {
      expr = `SET ${fields.map((_, i) => `#cs.#c.#f${i} = :f${i}`).join(', ')}`;
      fields.forEach(([k, v], i) => {
        names[`#f${i}`] = k;
        values[`:f${i}`] = v;
      });
    }
    return {
      Update: {
        TableName: this.table,
        Key: bk.build(id),
        ConditionExpression: whole ? 'attribute_exists(#cs)' : 'attribute_exists(#cs.#c)',
        UpdateExpression: expr,
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
      },
    };
  }

  /**
   * Runs a chroot write and its summary update in one transaction. 'refused' = the
   * chroot's own condition failed (nothing written); a build without a summary (stored
   * before summaries) gets the chroot write alone.
   */
  private async withSummary(chrootWrite: TransactItems[number], summary: TransactItems[number]): Promise<'done' | 'refused'> {
    for (let attempt = 1; ; attempt++) {
      try {
        await this.db.send(new TransactWriteCommand({ TransactItems: [chrootWrite, summary] }));
        return 'done';
      } catch (err) {
        if ((err as Error).name !== 'TransactionCanceledException') throw err;
        const reasons = (err as { CancellationReasons?: { Code?: string }[] }).CancellationReasons ?? [];
        if (reasons[0]?.Code === 'ConditionalCheckFailed') return 'refused';
        if (reasons[1]?.Code === 'ConditionalCheckFailed') return (await this.write([chrootWrite])) ? 'done' : 'refused';
        // Two chroots of one build moving at once both write the build item: DynamoDB
        // cancels one transaction with TransactionConflict. Nothing was written; again.
        if (!reasons.some((r) => r.Code === 'TransactionConflict') || attempt >= CONFLICT_ATTEMPTS) throw err;
        await new Promise((resolve) => setTimeout(resolve, Math.random() * 25 * 2 ** attempt));
      }
    }
  }

  private chrootItem(c: BuildChroot): Item {
    return { ...bk.buildChroot(c.build_id, c.name), entity: 'build-chroot', ...c };
  }

  private pendingTaskItem(t: Task): Item {
    return { ...bk.task(t.task_id), ...bk.pendingTask(t.owner, taskPriority(t), t.build_id, t.task_id), entity: 'task', ...t };
  }

  /** Marks an owner as having pending work; a new epoch invalidates a concurrent retire. */
  private ownerQueueUpdate(owner: string): TransactItems[number] {
    const idx = bk.ownerQueueIndexed(owner);
    return {
      Update: {
        TableName: this.table,
        Key: bk.ownerQueue(owner),
        UpdateExpression: 'SET gsi2pk = :p, gsi2sk = :s, epoch = :e, #o = :o, last_served = if_not_exists(last_served, :zero), entity = :ent',
        ExpressionAttributeNames: { '#o': 'owner' },
        ExpressionAttributeValues: { ':p': idx.gsi2pk, ':s': idx.gsi2sk, ':e': randomUUID(), ':o': owner, ':zero': 0, ':ent': 'owner-queue' },
      },
    };
  }

  // ---- builds ---------------------------------------------------------------------------

  async createBuild(build: Build, chroots: BuildChroot[], tasks: Task[], blockedOn: number | null): Promise<void> {
    // Outside the transaction: concurrent builds of one directory would conflict on it.
    if (build.project_dirname !== build.projectname) await this.pages.recordDir(build.ownername, build.projectname, build.project_dirname);
    const items: TransactItems = [
      { Put: { TableName: this.table, Item: this.buildItem(build, chroots), ConditionExpression: 'attribute_not_exists(pk)' } },
      ...chroots.map((c) => ({ Put: { TableName: this.table, Item: this.chrootItem(c) } })),
    ];
    for (const t of tasks) {
      const item =
        blockedOn !== null
          ? { ...bk.task(t.task_id), ...bk.blockedTask(blockedOn, t.task_id), entity: 'task', ...t }
          : this.pendingTaskItem(t);
      items.push({ Put: { TableName: this.table, Item: item } });
    }
    if (blockedOn === null && tasks.length > 0) items.push(this.ownerQueueUpdate(build.ownername));
    await this.db.send(new TransactWriteCommand({ TransactItems: items }));
  }

  async getBuild(id: number): Promise<Build | null> {
    const res = await this.db.send(new GetCommand({ TableName: this.table, Key: bk.build(id) }));
    return plainItem<Build>(res.Item);
  }

  async listBuildChroots(id: number, names?: { first: string; last: string }): Promise<BuildChroot[]> {
    const items = await this.queryAll(
      names
        ? {
            // A page of build-chroot/list: the chroot keys between two names, nothing else of the build.
            KeyConditionExpression: 'pk = :pk AND sk BETWEEN :a AND :b',
            ExpressionAttributeValues: { ':pk': bk.buildPartition(id), ':a': bk.buildChroot(id, names.first).sk, ':b': bk.buildChroot(id, names.last).sk },
          }
        : {
            KeyConditionExpression: 'pk = :pk AND begins_with(sk, :p)',
            ExpressionAttributeValues: { ':pk': bk.buildPartition(id), ':p': bk.buildChrootPrefix },
          },
    );
    return items.map((i) => plainItem<BuildChroot>(i)!);
  }

  async getBuildChroot(id: number, chroot: string): Promise<BuildChroot | null> {
    const res = await this.db.send(new GetCommand({ TableName: this.table, Key: bk.buildChroot(id, chroot) }));
    return plainItem<BuildChroot>(res.Item);
  }

  listProjectBuilds(owner: string, project: string): Promise<Build[]> {
    return this.queryIndex<Build>(INDEX.byParent, bk.projectBuildsPartition(owner, project));
  }

  async listRecentBuilds(limit: number): Promise<Build[]> {
    const items = await this.queryAll(
      {
        IndexName: INDEX.byCollection,
        KeyConditionExpression: 'gsi2pk = :p',
        ExpressionAttributeValues: { ':p': bk.allBuildsPartition },
        ScanIndexForward: false,
      },
      limit,
    );
    return items.map((i) => plainItem<Build>(i)!);
  }

  sourceStarted(id: number, startedOn: number): Promise<void> {
    return this.patchBuild(id, { source_status: 'running', source_started_on: startedOn });
  }

  sourceRequeued(id: number): Promise<void> {
    return this.patchBuild(id, { source_status: 'pending' });
  }

  sourceEnded(id: number, end: { status: 'succeeded' | 'failed' | 'canceled'; endedOn: number; failReason?: string | null }): Promise<void> {
    return this.patchBuild(id, {
      source_status: end.status,
      source_ended_on: end.endedOn,
      ...(end.failReason !== undefined ? { fail_reason: end.failReason } : {}),
    });
  }

  recordSourcePackage(id: number, pkg: { package_name: string; pkg_version: string; srpm_url: string }): Promise<void> {
    return this.patchBuild(id, pkg);
  }

  private async patchBuild(id: number, patch: Partial<Build>): Promise<void> {
    const entries = Object.entries(patch).filter(([k]) => k !== 'id');
    if (entries.length === 0) return;
    await this.update({
      Key: bk.build(id),
      ConditionExpression: 'attribute_exists(pk)',
      UpdateExpression: `SET ${entries.map((_, i) => `#k${i} = :v${i}`).join(', ')}`,
      ExpressionAttributeNames: Object.fromEntries(entries.map(([k], i) => [`#k${i}`, k])),
      ExpressionAttributeValues: Object.fromEntries(entries.map(([, v], i) => [`:v${i}`, v])),
    });
  }

  async markBuildCanceled(id: number): Promise<boolean> {
    const res = await this.update({
      Key: bk.build(id),
      ConditionExpression: 'attribute_exists(pk) AND canceled = :f',
      UpdateExpression: 'SET canceled = :t',
      ExpressionAttributeValues: { ':f': false, ':t': true },
    });
    return res !== null;
  }

  async createBuildChroots(chroots: BuildChroot[]): Promise<void> {
    // One conditional put each: a repeated SRPM report never resets a chroot that moved on.
    // The summary entry is added in the same transaction, only if the chroot is new; one
    // after the other, since each writes the build item (in parallel they would conflict).
    for (const c of chroots) {
      await this.withSummary(
        { Put: { TableName: this.table, Item: this.chrootItem(c), ConditionExpression: 'attribute_not_exists(pk)' } },
        this.summaryUpdate(c.build_id, c.name, { state: c.state, started_on: c.started_on, ended_on: c.ended_on }, true),
      );
    }
  }

  chrootQueued(id: number, chroot: string, resultDir: string): Promise<boolean> {
    return this.moveChroot(id, chroot, ['waiting'], { state: 'pending', result_dir: resultDir });
  }

  chrootStarted(id: number, chroot: string, start: { startedOn: number; resultDir: string }): Promise<boolean> {
    return this.moveChroot(id, chroot, ['pending', 'running'], { state: 'running', started_on: start.startedOn, result_dir: start.resultDir });
  }

  chrootRequeued(id: number, chroot: string): Promise<boolean> {
    return this.moveChroot(id, chroot, ['pending', 'running'], { state: 'pending' });
  }

  chrootFinished(id: number, chroot: string, end: ChrootOutcome): Promise<boolean> {
    return this.moveChroot(id, chroot, ['pending', 'running'], {
      state: end.state,
      ended_on: end.endedOn,
      fail_reason: end.failReason,
      packages: end.packages,
      result_dir: end.resultDir,
    });
  }

  chrootEndedUnbuilt(id: number, chroot: string, end: { state: 'canceled' | 'skipped' | 'failed'; endedOn: number; failReason?: string | null }): Promise<boolean> {
    return this.moveChroot(id, chroot, ['waiting', 'pending'], {
      state: end.state,
      ended_on: end.endedOn,
      ...(end.failReason !== undefined ? { fail_reason: end.failReason } : {}),
    });
  }

  /**
   * One transition of a build chroot: `set` is written only while its state is one of
   * `from`, and what of it the build's summary holds is written to the build in the
   * same transaction, so the summary never shows a transition that did not happen.
   */
  private async moveChroot(id: number, chroot: string, from: BuildState[], set: Partial<BuildChroot>): Promise<boolean> {
    const entries = Object.entries(set);
    const move: TransactItems[number] = {
      Update: {
        TableName: this.table,
        Key: bk.buildChroot(id, chroot),
        ConditionExpression: `#state IN (${from.map((_, i) => `:from${i}`).join(', ')})`,
        UpdateExpression: `SET ${entries.map((_, i) => `#k${i} = :v${i}`).join(', ')}`,
        ExpressionAttributeNames: { '#state': 'state', ...Object.fromEntries(entries.map(([k], i) => [`#k${i}`, k])) },
        ExpressionAttributeValues: {
          ...Object.fromEntries(from.map((s, i) => [`:from${i}`, s])),
          ...Object.fromEntries(entries.map(([, v], i) => [`:v${i}`, v])),
        },
      },
    };
    return (await this.withSummary(move, this.summaryUpdate(id, chroot, set, false))) === 'done';
  }

  async deleteBuild(id: number): Promise<void> {
    const build = await this.getBuild(id);
    const items = await this.queryAll({
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': bk.buildPartition(id) },
    });
    const keys: Key[] = items.map((i) => ({ pk: String(i.pk), sk: String(i.sk) }));
    if (build) {
      const chroots = items.filter((i) => String(i.sk).startsWith(bk.buildChrootPrefix)).map((i) => String(i.name));
      for (const t of await this.listBuildTasks(build, chroots)) keys.push(bk.task(t.task_id), bk.activeMarker(t.task_id));
      // Page cursors of the project stop being trusted: before (a crash mid-delete) and after (a page read racing it).
      await this.pages.bumpGeneration(build.ownername, build.projectname);
    }
    await batchDelete(this.db, this.table, keys);
    if (build) await this.pages.bumpGeneration(build.ownername, build.projectname);
  }

  /** Writes builds and their chroots by batch writes, without tasks: seeding for the benchmark and tests. */
  async seedBuilds(entries: Array<{ build: Build; chroots: BuildChroot[] }>): Promise<void> {
    const items = entries.flatMap((e) => [this.buildItem(e.build, e.chroots), ...e.chroots.map((c) => this.chrootItem(c))]);
    await batchWrite(this.db, this.table, items.map((Item) => ({ PutRequest: { Item } })));
  }

  // ---- tasks --------------------------------------------------------------------------------

  async getTask(taskId: string): Promise<Task | null> {
    const res = await this.db.send(new GetCommand({ TableName: this.table, Key: bk.task(taskId), ConsistentRead: true }));
    return plainItem<Task>(res.Item);
  }

  async listBuildTasks(build: Build, chroots: string[]): Promise<Task[]> {
    const ids = [String(build.id), ...chroots.map((c) => `${build.id}-${c}`)];
    const tasks = await Promise.all(ids.map((id) => this.getTask(id)));
    return tasks.filter((t): t is Task => t !== null);
  }

  async enqueueTasks(tasks: Task[]): Promise<void> {
    // Tasks that exist already are left alone (a repeated SRPM report must not reset a
    // task a builder holds): each put is conditional, and the owner queue is marked in
    // the same transaction so the dispatcher can never miss the new work.
    for (let i = 0; i < tasks.length; i += 90) {
      const chunk = tasks.slice(i, i + 90);
      const put = (t: Task) => ({ Put: { TableName: this.table, Item: this.pendingTaskItem(t), ConditionExpression: 'attribute_not_exists(pk)' } });
      const owners = [...new Set(chunk.map((t) => t.owner))];
      if (await this.write([...chunk.map(put), ...owners.map((o) => this.ownerQueueUpdate(o))])) continue;
      // Some exist: one at a time, skipping those.
      for (const t of chunk) await this.write([put(t), this.ownerQueueUpdate(t.owner)]);
    }
  }

  async releaseBlocked(afterBuildId: number): Promise<number> {
    const items = await this.queryAll({
      IndexName: INDEX.byQueue,
      KeyConditionExpression: 'gsi3pk = :p',
      ExpressionAttributeValues: { ':p': bk.blockedPartition(afterBuildId) },
    });
    let released = 0;
    for (const item of items) {
      const t = plainItem<Task>(item)!;
      const idx = bk.pendingTask(t.owner, taskPriority(t), t.build_id, t.task_id);
      const ok = await this.write([
        {
          Update: {
            TableName: this.table,
            Key: bk.task(t.task_id),
            ConditionExpression: 'gsi3pk = :blocked AND #s = :pending',
            UpdateExpression: 'SET gsi3pk = :p, gsi3sk = :s',
            ExpressionAttributeNames: { '#s': 'state' },
            ExpressionAttributeValues: { ':blocked': bk.blockedPartition(afterBuildId), ':pending': 'pending', ':p': idx.gsi3pk, ':s': idx.gsi3sk },
          },
        },
        this.ownerQueueUpdate(t.owner),
      ]);
      if (ok) released++;
    }
    return released;
  }

  async listPendingOwners(): Promise<Array<{ owner: string; last_served: number; epoch: string }>> {
    const items = await this.queryAll({
      IndexName: INDEX.byCollection,
      KeyConditionExpression: 'gsi2pk = :p',
      ExpressionAttributeValues: { ':p': bk.pendingOwnersPartition },
    });
    return items.map((i) => ({ owner: String(i.owner), last_served: Number(i.last_served ?? 0), epoch: String(i.epoch) }));
  }

  async listPendingTasks(owner: string, limit: number): Promise<Task[]> {
    const items = await this.queryAll(
      {
        IndexName: INDEX.byQueue,
        KeyConditionExpression: 'gsi3pk = :p',
        ExpressionAttributeValues: { ':p': bk.pendingPartition(owner) },
      },
      limit,
    );
    return items.map((i) => plainItem<Task>(i)!);
  }

  async retireOwner(owner: string, epoch: string): Promise<void> {
    await this.update({
      Key: bk.ownerQueue(owner),
      ConditionExpression: 'epoch = :e',
      UpdateExpression: 'REMOVE gsi2pk, gsi2sk',
      ExpressionAttributeValues: { ':e': epoch },
    });
  }

  async listActiveTasks(): Promise<Task[]> {
    const shards = await Promise.all(
      Array.from({ length: ACTIVE_SHARDS }, (_, shard) =>
        this.queryAll({ KeyConditionExpression: 'pk = :p', ExpressionAttributeValues: { ':p': bk.activeShardPartition(shard) } }),
      ),
    );
    const items = await batchGet(this.db, this.table, shards.flat().map((m) => bk.task(String(m.sk))));
    // Marker and task change in one transaction; a task read just after it changed again is left out.
    return items
      .map((i) => plainItem<Task>(i))
      .filter((t): t is Task => t !== null && (t.state === 'starting' || t.state === 'running'))
      .sort((a, b) => (a.heartbeat_at ?? 0) - (b.heartbeat_at ?? 0));
  }

  async claimTask(
    taskId: string,
    claim: { builder_id: string; credential_hash: string; credential_expires: number; now: number; builder?: BuilderRecord },
  ): Promise<boolean> {
    const task = await this.getTask(taskId);
    if (!task) return false;
    return this.write([
      // A warm builder's record is born with its first claim: it counts from the start.
      ...(claim.builder ? [builders.builderPut(this.table, claim.builder)] : []),
      {
        Update: {
          TableName: this.table,
          Key: bk.task(taskId),
          ConditionExpression: '#s = :pending AND cancel_requested = :f AND begins_with(gsi3pk, :pp)',
          UpdateExpression:
            'SET #s = :starting, heartbeat_at = :now, builder_id = :b, credential_hash = :h, credential_expires = :x REMOVE gsi3pk, gsi3sk',
          ExpressionAttributeNames: { '#s': 'state' },
          ExpressionAttributeValues: {
            ':pending': 'pending',
            ':f': false,
            ':pp': bk.pendingPrefix,
            ':starting': 'starting',
            ':now': claim.now,
            ':b': claim.builder_id,
            ':h': claim.credential_hash,
            ':x': claim.credential_expires,
          },
        },
      },
      { Put: { TableName: this.table, Item: bk.activeMarkerItem(taskId, claim.now) } },
      {
        Update: {
          TableName: this.table,
          Key: bk.ownerQueue(task.owner),
          UpdateExpression: 'SET last_served = :now',
          ExpressionAttributeValues: { ':now': claim.now },
        },
      },
    ]);
  }

  async markTaskRunning(taskId: string, now: number): Promise<boolean> {
    const res = await this.update({
      Key: bk.task(taskId),
      ConditionExpression: '#s = :starting',
      UpdateExpression: 'SET #s = :running, heartbeat_at = :now',
      ExpressionAttributeNames: { '#s': 'state' },
      ExpressionAttributeValues: { ':starting': 'starting', ':running': 'running', ':now': now },
    });
    return res !== null;
  }

  /** One write to the task's own item: an active task is in no index (table.ts activeMarker). */
  async heartbeat(taskId: string, now: number): Promise<Task | null> {
    const res = await this.update({
      Key: bk.task(taskId),
      ConditionExpression: '#s IN (:starting, :running)',
      UpdateExpression: 'SET heartbeat_at = :now',
      ExpressionAttributeNames: { '#s': 'state' },
      ExpressionAttributeValues: { ':starting': 'starting', ':running': 'running', ':now': now },
    });
    return res ? plainItem<Task>(res) : null;
  }

  async finishTask(taskId: string, outcome: NonNullable<Task['outcome']>, from: Task['state'][]): Promise<boolean> {
    return this.write([
      {
        Update: {
          TableName: this.table,
          Key: bk.task(taskId),
          ConditionExpression: `#s IN (${from.map((_, i) => `:from${i}`).join(', ')})`,
          UpdateExpression: 'SET #s = :finished, outcome = :o REMOVE gsi3pk, gsi3sk, credential_hash',
          ExpressionAttributeNames: { '#s': 'state' },
          ExpressionAttributeValues: { ':finished': 'finished', ':o': outcome, ...Object.fromEntries(from.map((s, i) => [`:from${i}`, s])) },
        },
      },
      // A pending task has no marker: deleting a missing item is a no-op.
      { Delete: { TableName: this.table, Key: bk.activeMarker(taskId) } },
    ]);
  }

  /** Reaper: a silent task goes back to its owner's queue, counting an attempt. */
  async requeueTask(taskId: string, expectHeartbeat: number | null): Promise<boolean> {
    return this.backToPending(taskId, {
      // Only if no heartbeat arrived since the reaper looked.
      condition: '#s IN (:starting, :running) AND heartbeat_at = :hb',
      set: 'attempts = attempts + :one',
      values: { ':starting': 'starting', ':running': 'running', ':hb': expectHeartbeat, ':one': 1 },
    });
  }

  /** Dispatcher: a launch that failed gives its claim back without an attempt, not before `notBefore`. */
  async releaseLaunch(taskId: string, builderId: string, notBefore: number): Promise<boolean> {
    return this.backToPending(
      taskId,
      {
        // Only the claim this launch made: never a task a builder already reported on.
        condition: '#s = :starting AND builder_id = :b',
        set: 'not_before = :nb, launch_failures = if_not_exists(launch_failures, :zero) + :one',
        values: { ':starting': 'starting', ':b': builderId, ':nb': notBefore, ':zero': 0, ':one': 1 },
      },
      [{ Delete: { TableName: this.table, Key: bk.builder(builderId) } }],
    );
  }

  /** active → pending in one transaction: back in its owner's queue index, credential and ACTIVE marker gone. */
  private async backToPending(
    taskId: string,
    change: { condition: string; set: string; values: Record<string, unknown> },
    extra: TransactItems = [],
  ): Promise<boolean> {
    const task = await this.getTask(taskId);
    if (!task) return false;
    const idx = bk.pendingTask(task.owner, taskPriority(task), task.build_id, task.task_id);
    return this.write([
      {
        Update: {
          TableName: this.table,
          Key: bk.task(taskId),
          ConditionExpression: change.condition,
          UpdateExpression: `SET #s = :pending, ${change.set}, gsi3pk = :p, gsi3sk = :sk REMOVE credential_hash, builder_id`,
          ExpressionAttributeNames: { '#s': 'state' },
          ExpressionAttributeValues: { ...change.values, ':pending': 'pending', ':p': idx.gsi3pk, ':sk': idx.gsi3sk },
        },
      },
      { Delete: { TableName: this.table, Key: bk.activeMarker(taskId) } },
      ...extra,
      this.ownerQueueUpdate(task.owner),
    ]);
  }

  async requestCancel(taskId: string): Promise<boolean> {
    const res = await this.update({
      Key: bk.task(taskId),
      ConditionExpression: '#s IN (:starting, :running)',
      UpdateExpression: 'SET cancel_requested = :t',
      ExpressionAttributeNames: { '#s': 'state' },
      ExpressionAttributeValues: { ':starting': 'starting', ':running': 'running', ':t': true },
    });
    return res !== null;
  }

  // ---- dispatcher lock -------------------------------------------------------------------------

  async acquireDispatchLock(holder: string, now: number, leaseMs: number): Promise<boolean> {
    const res = await this.update({
      Key: bk.dispatchLock(),
      ConditionExpression: 'attribute_not_exists(holder) OR lease_until < :now OR holder = :h',
      UpdateExpression: 'SET holder = :h, lease_until = :until, dirty = :f',
      ExpressionAttributeValues: { ':now': now, ':h': holder, ':until': now + leaseMs, ':f': false },
    });
    return res !== null;
  }

  async releaseDispatchLock(holder: string, force = false): Promise<boolean> {
    const res = await this.update({
      Key: bk.dispatchLock(),
      // Refuse to release when a wake-up arrived during the pass: the holder runs again
      // (unless it must stop, at its deadline: then the wake-up it sends takes over).
      ConditionExpression: force ? 'holder = :h' : 'holder = :h AND dirty = :f',
      UpdateExpression: 'REMOVE holder, lease_until',
      ExpressionAttributeValues: force ? { ':h': holder } : { ':h': holder, ':f': false },
    });
    return res !== null;
  }

  async renewDispatchLock(holder: string, now: number, leaseMs: number): Promise<boolean> {
    // Extends the lease only; `dirty` stays as it is so no wake-up is lost.
    const res = await this.update({
      Key: bk.dispatchLock(),
      ConditionExpression: 'holder = :h',
      UpdateExpression: 'SET lease_until = :until',
      ExpressionAttributeValues: { ':h': holder, ':until': now + leaseMs },
    });
    return res !== null;
  }

  async markDispatchDirty(): Promise<void> {
    await this.db.send(
      new PutCommand({ TableName: this.table, Item: { ...bk.dispatchLock(), entity: 'dispatch-lock', dirty: true }, ConditionExpression: 'attribute_not_exists(pk)' }),
    ).catch(async (err: unknown) => {
      if (!isConditionFailure(err)) throw err;
      await this.update({ Key: bk.dispatchLock(), UpdateExpression: 'SET dirty = :t', ExpressionAttributeValues: { ':t': true } });
    });
  }

  // ---- warm builders (functions/store/dynamo-builders.ts) -----------------------------------

  getBuilder(builderId: string): Promise<BuilderRecord | null> {
    return builders.getBuilder(this.db, this.table, builderId);
  }

  listIdleBuilders(now: number): Promise<BuilderRecord[]> {
    return builders.listIdleBuilders(this.db, this.table, now);
  }

  builderIdle(builderId: string, taskId: string, idleUntil: number): Promise<boolean> {
    return builders.builderIdle(this.db, this.table, builderId, taskId, idleUntil);
  }

  retireBuilder(builderId: string): Promise<void> {
    return builders.retireBuilder(this.db, this.table, builderId);
  }

  claimTaskForBuilder(task: Task, builder: BuilderRecord, claim: builders.WarmClaim): Promise<boolean> {
    return builders.claimTaskForBuilder(this.db, builders.warmClaimItems(this.table, task, builder, claim, bk.pendingPrefix));
  }

  setStarved(entries: string[]): Promise<void> {
    return builders.setStarved(this.db, this.table, entries);
  }

  listStarved(): Promise<string[]> {
    return builders.listStarved(this.db, this.table);
  }

  takeStarved(entry: string): Promise<boolean> {
    return builders.takeStarved(this.db, this.table, entry);
  }
}
