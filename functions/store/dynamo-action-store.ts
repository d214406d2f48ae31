import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { Action, ActionData, ActionStore } from '../core/action-ports.js';
import { isConditionFailure, plainItem, TableClient, type Item } from './dynamo-ops.js';
import type { KeysetListing } from '../core/keyset-pages.js';
import { DynamoKeysetListing } from './dynamo-keyset.js';
import { actionKeys as ak, INDEX } from './table.js';


/**
 * Actions in the single table: one item per action, indexed by project (the API
 * listing) and, while not finished, in the due queue (`ACTIONQ`, ordered by due
 * time). Every transition is conditional: a claim expects the due time it read, and
 * the later writes of an attempt expect `state = running AND attempts = <attempt>`,
 * so a runner whose lease ran out cannot overwrite the attempt that replaced it.
 */
export class DynamoActionStore extends TableClient implements ActionStore {
  async createAction(a: Action): Promise<void> {
    const item: Item = { ...ak.action(a.id), ...ak.actionOfProject(a.ownername, a.projectname, a.id), entity: 'action', ...a };
    if (a.due_at !== null) Object.assign(item, ak.dueAction(a.due_at, a.id));
    await this.db.send(new PutCommand({ TableName: this.table, Item: item, ConditionExpression: 'attribute_not_exists(pk)' }));
  }

  async getAction(id: number): Promise<Action | null> {
    const res = await this.db.send(new GetCommand({ TableName: this.table, Key: ak.action(id) }));
    return plainItem<Action>(res.Item as Item | undefined);
  }

  listProjectActions(owner: string, project: string): Promise<Action[]> {
    return this.queryIndex<Action>(INDEX.byParent, ak.projectActionsPartition(owner, project));
  }

  actionPages(owner: string, project: string, descending: boolean): KeysetListing<Action> {
    return new DynamoKeysetListing<Action>(
      this.db,
      this.table,
      `ACT#${owner}/${project}#${descending ? 'DESC' : 'ASC'}`,
      { index: INDEX.byParent, partition: ak.projectActionsPartition(owner, project), descending },
      (a) => ak.actionOfProject(a.ownername, a.projectname, a.id).gsi1sk,
      async () => 0,
    );
  }

  async listDueActions(now: number, limit: number): Promise<Action[]> {
    const items = await this.queryAll(
      {
        IndexName: INDEX.byQueue,
        KeyConditionExpression: 'gsi3pk = :q AND gsi3sk <= :until',
        ExpressionAttributeValues: { ':q': ak.dueActionsPartition, ':until': ak.dueActionsUntil(now) },
      },
      limit,
    );
    return items.map((i) => plainItem<Action>(i)!);
  }

  async claimAction(id: number, expectDueAt: number, leaseUntil: number, nowSec: number): Promise<Action | null> {
    const q = ak.dueAction(leaseUntil, id);
    const item = await this.update({
      Key: ak.action(id),
      // Still due exactly as the runner saw it: pending, or running with an ended lease.
      ConditionExpression: 'due_at = :expect AND #s IN (:pending, :running)',
      UpdateExpression:
        'SET #s = :running, attempts = attempts + :one, due_at = :lease, gsi3pk = :q, gsi3sk = :qsk, started_on = if_not_exists(started_on, :now)',
      ExpressionAttributeNames: { '#s': 'state' },
      ExpressionAttributeValues: {
        ':expect': expectDueAt,
        ':pending': 'pending',
        ':running': 'running',
        ':one': 1,
        ':lease': leaseUntil,
        ':q': q.gsi3pk,
        ':qsk': q.gsi3sk,
        ':now': nowSec,
      },
    });
    return plainItem<Action>(item ?? undefined);
  }

  async saveActionData(id: number, attempt: number, data: ActionData): Promise<boolean> {
    const item = await this.update({
      Key: ak.action(id),
      ConditionExpression: '#s = :running AND attempts = :n',
      UpdateExpression: 'SET #d = :d',
      ExpressionAttributeNames: { '#s': 'state', '#d': 'data' },
      ExpressionAttributeValues: { ':running': 'running', ':n': attempt, ':d': data },
    });
    return item !== null;
  }

  async finishAction(
    id: number,
    attempt: number,
    end: { state: 'succeeded' | 'failed'; endedOn: number; result?: Record<string, unknown> | null; error?: string | null },
  ): Promise<boolean> {
    const item = await this.update({
      Key: ak.action(id),
      ConditionExpression: '#s = :running AND attempts = :n',
      // Leaves the due queue: a finished action is never picked up again.
      UpdateExpression: 'SET #s = :end, ended_on = :t, due_at = :null, #r = :r, #e = :e REMOVE gsi3pk, gsi3sk',
      ExpressionAttributeNames: { '#s': 'state', '#r': 'result', '#e': 'error' },
      ExpressionAttributeValues: {
        ':running': 'running',
        ':n': attempt,
        ':end': end.state,
        ':t': end.endedOn,
        ':null': null,
        ':r': end.result ?? null,
        ':e': end.error ?? null,
      },
    });
    return item !== null;
  }

  async retryAction(id: number, attempt: number, dueAt: number, error: string): Promise<boolean> {
    const q = ak.dueAction(dueAt, id);
    const item = await this.update({
      Key: ak.action(id),
      ConditionExpression: '#s = :running AND attempts = :n',
      UpdateExpression: 'SET #s = :pending, due_at = :due, gsi3pk = :q, gsi3sk = :qsk, #e = :e',
      ExpressionAttributeNames: { '#s': 'state', '#e': 'error' },
      ExpressionAttributeValues: { ':running': 'running', ':n': attempt, ':pending': 'pending', ':due': dueAt, ':q': q.gsi3pk, ':qsk': q.gsi3sk, ':e': error },
    });
    return item !== null;
  }
}
