import type { CreateTableCommandInput } from '@aws-sdk/client-dynamodb';
import { createHash } from 'node:crypto';

/**
 * The single DynamoDB table: its key schema, its GSIs (named for the access pattern
 * they serve) and the key builders of every entity. Nothing else in the code base
 * spells a key. The access patterns are listed in docs/data-model.md.
 *
 * Generic attributes: pk/sk (base table), gsi1pk/gsi1sk, gsi2pk/gsi2sk, gsi3pk/gsi3sk.
 * Every item carries `entity` (its type) so a query over a shared partition can
 * tell items apart.
 */
export const INDEX = {
  /** Children of a parent in a stable order: projects of an owner, builds of a project. */
  byParent: 'gsi1',
  /** Global listings: all projects by id, search tokens. */
  byCollection: 'gsi2',
  /** Work queues: pending tasks per owner (dispatcher). */
  byQueue: 'gsi3',
} as const;

export type Key = { pk: string; sk: string };

/** Zero-padded so lexicographic order equals numeric order. */
export const pad = (n: number, width = 12): string => String(n).padStart(width, '0');

const projectPk = (owner: string, name: string) => `PROJECT#${owner}#${name}`;

/** Keys of the items kept in a project's partition: `<prefix><name>` under the project's pk. */
function inProject(prefix: string): (owner: string, project: string, name: string) => Key {
  return (owner, project, name) => ({ pk: projectPk(owner, project), sk: `${prefix}${name}` });
}

export const keys = {
  counter: (name: string): Key => ({ pk: 'COUNTER', sk: name }),

  user: (name: string): Key => ({ pk: `USER#${name}`, sk: 'PROFILE' }),
  apiLogin: (login: string): Key => ({ pk: `APILOGIN#${login}`, sk: 'APILOGIN' }),
  group: (name: string): Key => ({ pk: `GROUP#${name}`, sk: 'PROFILE' }),

  mockChrootPartition: 'MOCKCHROOT',
  mockChroot: (name: string): Key => ({ pk: 'MOCKCHROOT', sk: name }),

  project: (owner: string, name: string): Key => ({ pk: projectPk(owner, name), sk: 'PROFILE' }),
  projectPartition: projectPk,
  /** GSI byParent: projects of one owner, by id (project/list pages in id order, keyset-pages.ts). */
  projectByOwner: (owner: string, id: number) => ({ gsi1pk: `OWNER#${owner}`, gsi1sk: `PROJECT#${pad(id)}` }),
  projectByOwnerSort: (id: number) => `PROJECT#${pad(id)}`,
  ownerProjectsPartition: (owner: string) => `OWNER#${owner}`,
  /** GSI byCollection: every project, by id. */
  projectInCollection: (id: number) => ({ gsi2pk: 'PROJECTS', gsi2sk: pad(id) }),
  allProjectsPartition: 'PROJECTS',

  projectChroot: inProject('CHROOT#'),
  projectChrootPrefix: 'CHROOT#',

  package: inProject('PACKAGE#'),
  packagePrefix: 'PACKAGE#',
  /** GSI byParent: packages of one project by id (package/list pages in id order). */
  packageOfProject: (owner: string, project: string, id: number) => ({ gsi1pk: `PROJECT#${owner}#${project}#PACKAGES`, gsi1sk: pad(id) }),
  projectPackagesPartition: (owner: string, project: string) => `PROJECT#${owner}#${project}#PACKAGES`,

  permission: inProject('PERM#'),
  permissionPrefix: 'PERM#',

  /** The comps.xml uploaded for one project chroot (kept apart: it can be large). */
  comps: inProject('COMPS#'),

  /** Search index entry: one item per (token, project), by project id (project/search pages in id order). */
  searchToken: (token: string, projectId: number) => ({
    pk: `SEARCH#${token}`,
    sk: pad(projectId),
  }),
  searchTokenPartition: (token: string) => `SEARCH#${token}`,
  /** The search entry item itself, as project writes and the key migration (rekey-items.ts) put it. */
  searchTokenItem: (token: string, p: { id: number; ownername: string; name: string }) => ({
    pk: `SEARCH#${token}`,
    sk: pad(p.id),
    entity: 'search-token',
    project_id: p.id,
    ownername: p.ownername,
    name: p.name,
  }),
};

/**
 * Partitions the active-task markers are spread over. Each takes a claim and a finish per
 * task (a few writes/s in all at 1,000 builders: docs/data-model.md, "Write rates at 1,000
 * builders"); shards keep that far from the per-partition limit at any fleet size, and the
 * reaper reads them all.
 */
export const ACTIVE_SHARDS = 8;

/** The marker shard of a task: a stable hash, so every writer and the reader agree. */
export function activeShard(taskId: string): number {
  return createHash('sha256').update(taskId).digest().readUInt32BE(0) % ACTIVE_SHARDS;
}

/** Build, build-chroot, task and dispatcher keys (builds part of the model). */
export const buildKeys = {
  build: (id: number): Key => ({ pk: `BUILD#${pad(id)}`, sk: 'PROFILE' }),
  buildPartition: (id: number) => `BUILD#${pad(id)}`,
  buildChroot: (id: number, chroot: string): Key => ({ pk: `BUILD#${pad(id)}`, sk: `CHROOT#${chroot}` }),
  buildChrootPrefix: 'CHROOT#',
  /** GSI byParent: builds of a project by id. */
  buildOfProject: (owner: string, project: string, id: number) => ({
    gsi1pk: `PROJECT#${owner}#${project}#BUILDS`,
    gsi1sk: pad(id),
  }),
  projectBuildsPartition: (owner: string, project: string) => `PROJECT#${owner}#${project}#BUILDS`,
  /** GSI byCollection: every build by id (the home page's recent builds). */
  buildInCollection: (id: number) => ({ gsi2pk: 'BUILDS', gsi2sk: pad(id) }),
  allBuildsPartition: 'BUILDS',

  task: (taskId: string): Key => ({ pk: `TASK#${taskId}`, sk: 'TASK' }),
  /** GSI byQueue while pending: per owner, SRPM before RPM, normal before background, then build id. */
  pendingTask: (owner: string, priority: number, buildId: number, taskId: string) => ({
    gsi3pk: `PENDING#${owner}`,
    gsi3sk: `${priority}#${pad(buildId)}#${taskId}`,
  }),
  pendingPartition: (owner: string) => `PENDING#${owner}`,
  /** Prefix every pending partition starts with (a task still queued). */
  pendingPrefix: 'PENDING#',
  /** GSI byQueue while waiting for a batch predecessor to finish. */
  blockedTask: (afterBuildId: number, taskId: string) => ({ gsi3pk: `BLOCKED#${pad(afterBuildId)}`, gsi3sk: taskId }),
  blockedPartition: (afterBuildId: number) => `BLOCKED#${pad(afterBuildId)}`,
  /**
   * A starting/running task is in no index: its heartbeats (every builder, every 20 s)
   * then write its own item only, never a shared index partition. What lists the active
   * tasks is this marker item, written when the task is claimed and deleted when it is
   * finished or requeued, in the same transactions, spread over ACTIVE_SHARDS partitions.
   */
  activeMarker: (taskId: string): Key => ({ pk: `ACTIVE#${activeShard(taskId)}`, sk: taskId }),
  activeShardPartition: (shard: number) => `ACTIVE#${shard}`,
  /** The marker item itself, as both claims (dispatcher and warm builder) write it. */
  activeMarkerItem: (taskId: string, claimedAt: number) => ({
    pk: `ACTIVE#${activeShard(taskId)}`,
    sk: taskId,
    entity: 'active-task',
    task_id: taskId,
    claimed_at: claimedAt,
  }),

  /** One item per owner with (maybe) pending work, in GSI byCollection. */
  ownerQueue: (owner: string): Key => ({ pk: `OWNERQ#${owner}`, sk: 'QUEUE' }),
  ownerQueueIndexed: (owner: string) => ({ gsi2pk: 'PENDING_OWNERS', gsi2sk: owner }),
  pendingOwnersPartition: 'PENDING_OWNERS',

  /** Single-flight lock of the dispatcher. */
  dispatchLock: (): Key => ({ pk: 'DISPATCH', sk: 'LOCK' }),

  /** A builder machine (warm builders, functions/core/builder-pool.ts). */
  builder: (builderId: string): Key => ({ pk: `BUILDER#${builderId}`, sk: 'BUILDER' }),
  /** GSI byCollection while the builder waits for work (written per task end, not per heartbeat). */
  idleBuilder: (builderId: string) => ({ gsi2pk: 'IDLE_BUILDERS', gsi2sk: builderId }),
  idleBuildersPartition: 'IDLE_BUILDERS',
};

/** Project actions (functions/core/action-ports.ts). */
export const actionKeys = {
  action: (id: number): Key => ({ pk: `ACTION#${pad(id)}`, sk: 'ACTION' }),
  /** GSI byParent: actions of one project by id (kept after the project is deleted). */
  actionOfProject: (owner: string, project: string, id: number) => ({
    gsi1pk: `PROJECT#${owner}#${project}#ACTIONS`,
    gsi1sk: pad(id),
  }),
  projectActionsPartition: (owner: string, project: string) => `PROJECT#${owner}#${project}#ACTIONS`,
  /** GSI byQueue while pending or running, ordered by when it is due (or its lease ends). */
  dueAction: (dueAt: number, id: number) => ({ gsi3pk: 'ACTIONQ', gsi3sk: `${pad(dueAt, 15)}#${pad(id)}` }),
  dueActionsPartition: 'ACTIONQ',
  /** Upper bound of the due keys at `now` (every key due at or before `now` sorts below it). */
  dueActionsUntil: (now: number) => `${pad(now, 15)}#~`,
};

/** A project's signing key, sealed with KMS (AWS publisher only; locally keys stay in the data dir). */
/**
 * The publish ledger (functions/store/dynamo-publish-ledger.ts): per repository
 * (`owner/dirname/chroot[/devel]`) a partition of requested changes and the lease of
 * the one run allowed at a time. A pending entry also sits in the sparse
 * `PUBLISH_PENDING` partition of GSI byCollection, ordered by when it was recorded,
 * so maintenance finds entries left pending too long without a scan; marking an
 * entry done removes it from there.
 */
export const publishKeys = {
  partition: (repo: string) => `PUBLISH#${repo}`,
  pending: (repo: string, recordedAt: number, id: string): Key => ({ pk: `PUBLISH#${repo}`, sk: `PENDING#${pad(recordedAt, 15)}#${id}` }),
  pendingPrefix: 'PENDING#',
  done: (repo: string, recordedAt: number, id: string): Key => ({ pk: `PUBLISH#${repo}`, sk: `DONE#${pad(recordedAt, 15)}#${id}` }),
  lease: (repo: string): Key => ({ pk: `PUBLISH#${repo}`, sk: 'LEASE' }),
  pendingIndexed: (repo: string, recordedAt: number, id: string) => ({ gsi2pk: 'PUBLISH_PENDING', gsi2sk: `${pad(recordedAt, 15)}#${repo}#${id}` }),
  pendingCollection: 'PUBLISH_PENDING',
  /** gsi2sk bound: entries recorded before `t`. */
  recordedBefore: (t: number) => pad(t, 15),
};

export const signingKeyKey = (owner: string, project: string): Key => ({ pk: `SIGNKEY#${owner}/${project}`, sk: 'SEALED' });

export function tableDefinition(tableName: string): CreateTableCommandInput {
  const attr = (name: string) => ({ AttributeName: name, AttributeType: 'S' as const });
  const gsi = (name: string, n: number) => ({
    IndexName: name,
    KeySchema: [
      { AttributeName: `gsi${n}pk`, KeyType: 'HASH' as const },
      { AttributeName: `gsi${n}sk`, KeyType: 'RANGE' as const },
    ],
    Projection: { ProjectionType: 'ALL' as const },
  });
  return {
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: [
      attr('pk'),
      attr('sk'),
      attr('gsi1pk'),
      attr('gsi1sk'),
      attr('gsi2pk'),
      attr('gsi2sk'),
      attr('gsi3pk'),
      attr('gsi3sk'),
    ],
    KeySchema: [
      { AttributeName: 'pk', KeyType: 'HASH' },
      { AttributeName: 'sk', KeyType: 'RANGE' },
    ],
    GlobalSecondaryIndexes: [gsi(INDEX.byParent, 1), gsi(INDEX.byCollection, 2), gsi(INDEX.byQueue, 3)],
  };
}

/** Attribute holding the epoch-seconds expiry for DynamoDB TTL (task credentials, uploads). */
export const TTL_ATTRIBUTE = 'expires_at';

/** Maintenance (functions/core/maintenance.ts): a lease so one runner at a time works on a subject. */
export const maintenanceKeys = {
  claim: (job: string, subject: string): Key => ({ pk: `MAINT#${job}`, sk: subject }),
};

/**
 * Keyset page cursors of the list endpoints (functions/core/keyset-pages.ts): one
 * small item per (listing, offset), and the list generations they are checked against.
 */
export const pageKeys = {
  cursor: (listing: string, offset: number): Key => ({ pk: `PAGES#${listing}`, sk: pad(offset) }),
  cursorPartition: (listing: string) => `PAGES#${listing}`,
  /** Bumped by every deletion of an item of the listings of `scope` (a project's builds, an owner's projects, ...). */
  generation: (scope: string): Key => ({ pk: `LISTGEN#${scope}`, sk: 'GEN' }),
  /** A directory other than the project's own that builds were submitted to (`proj:pr:7`). */
  projectDir: (owner: string, project: string, dirname: string): Key => ({ pk: projectPk(owner, project), sk: `DIR#${dirname}` }),
  projectDirPrefix: 'DIR#',
};

/** The generation scopes of the listings (pageKeys.generation). */
export const listScopes = {
  projectBuilds: (owner: string, project: string) => `BUILDS#${owner}/${project}`,
  ownerProjects: (owner: string) => `PROJECTS#${owner}`,
  allProjects: 'PROJECTS',
  projectPackages: (owner: string, project: string) => `PACKAGES#${owner}/${project}`,
  /** By name a new package lands anywhere in the listing: bumped by creations too. */
  projectPackageNames: (owner: string, project: string) => `PACKAGENAMES#${owner}/${project}`,
};
