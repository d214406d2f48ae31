import type { KeysetListing, PageCursors } from './keyset-pages.js';
import type { ActionStore } from './action-ports.js';
import type { BuildStore } from './build-ports.js';
import type { Fleet } from './dispatcher.js';
import type { EventSink } from './events.js';
import type { JobClaims } from './maintenance.js';
import type { Group, MockChroot, Package, Project, ProjectChroot, ProjectPermission, User } from './model.js';
import type { ResultsStore } from './results-store.js';

/**
 * Every port of the core, in one list (the record `Ports` at the end of this file).
 * The interfaces of the larger ports live next to the code that explains them and
 * are re-exported here, so this file is the one place to find them all:
 *
 * | port          | interface        | AWS adapter                     | local adapter                        |
 * |---------------|------------------|---------------------------------|--------------------------------------|
 * | store         | Store            | store/dynamo-store.ts           | same, on DynamoDB Local              |
 * | builds        | BuildStore       | store/dynamo-build-store.ts     | same                                 |
 * | actions       | ActionStore      | store/dynamo-action-store.ts    | same                                 |
 * | claims        | JobClaims        | store/dynamo-job-claims.ts      | same                                 |
 * | results       | ResultsStore     | aws/s3-results-store.ts         | adapters/local-results-store.ts      |
 * | fleet         | Fleet            | aws/ec2-fleet.ts                | adapters/local-fleet.ts              |
 * | events        | EventSink        | adapters/eventbridge-sink.ts    | adapters/jsonl-event-sink.ts         |
 * | publish       | PublishSink      | ledger + aws/sqs-queues.ts wake | ledger + local/ledger-publisher.ts   |
 * | publishLedger | PublishLedger    | store/dynamo-publish-ledger.ts  | same, on DynamoDB Local              |
 * | wakePublisher | PublishWakeUp    | SQS publish queue (FIFO)        | local/ledger-publisher.ts            |
 * | wake          | WakeUp           | SQS dispatch queue              | in-process wake-ups (local/wakeups)  |
 * | wakeActions   | WakeUp           | SQS actions queue               | in-process wake-ups (local/wakeups)  |
 * | (publisher)   | SigningKeyStore  | store/dynamo-signing-keys.ts    | keys dir of publish/gpg-signer.ts    |
 * | clock         | Clock            | systemClock                     | systemClock (tests pin it)           |
 * | log           | Logger           | jsonLogger (stdout, CloudWatch) | jsonLogger (COPR_QUIET silences)     |
 */
export type { ActionStore, BuildStore, EventSink, Fleet, JobClaims, ResultsStore };

/** A project as a search hit names it (its row is read for the answer). */
export interface ProjectRef {
  ownername: string;
  name: string;
  project_id: number;
}

/**
 * The store port: every read and write the domain needs, named for intent. The
 * DynamoDB adapter is functions/store/dynamo-store.ts (single-table model in
 * functions/store/table.ts). Methods that encode a uniqueness rule or a state
 * transition throw `AlreadyExists` / `NotFoundInStore` / return false instead of
 * overwriting.
 */
export interface Store {
  nextId(counter: 'user' | 'group' | 'project' | 'package' | 'build' | 'action'): Promise<number>;

  getUser(name: string): Promise<User | null>;
  getUserByApiLogin(login: string): Promise<User | null>;
  /** Fails with AlreadyExists when the name or the API login is taken. */
  createUser(user: User): Promise<void>;
  /** Replaces the API credentials; the old login stops working in the same write. */
  rotateApiToken(name: string, oldLogin: string, next: Pick<User, 'api_login' | 'api_token_hash' | 'api_token_expiration'>): Promise<void>;
  setUserAdmin(name: string, admin: boolean): Promise<void>;
  setUserGroups(name: string, groups: string[]): Promise<void>;
  getGroup(name: string): Promise<Group | null>;
  createGroup(group: Group): Promise<void>;

  listMockChroots(): Promise<MockChroot[]>;
  getMockChroot(name: string): Promise<MockChroot | null>;
  putMockChroot(chroot: MockChroot): Promise<void>;

  getProject(owner: string, name: string): Promise<Project | null>;
  /** The project with this id (webhooks address projects by id); null when none. */
  getProjectById(id: number): Promise<Project | null>;
  listProjectsByOwner(owner: string): Promise<Project[]>;
  listAllProjects(): Promise<Project[]>;
  /** project/list in id order as keyset pages: one owner's projects, or all (owner null). */
  projectPages(owner: string | null, descending: boolean): KeysetListing<Project>;
  /** package/list of one project as keyset pages, by package id or by name. */
  packagePages(project: Project, order: 'id' | 'name', descending: boolean): KeysetListing<Package>;
  /** project/search in id order as keyset pages: the projects having every token (lower case words, at least one). */
  searchPages(tokens: string[], descending: boolean): KeysetListing<ProjectRef>;
  /** The cursors every keyset listing of the table records (functions/core/keyset-pages.ts). */
  readonly pageCursors: PageCursors;
  /** Projects whose search tokens include every token (tokens are lower case words). */
  findProjectsByTokens(tokens: string[]): Promise<Project[]>;
  /** Creates the project with its chroots; AlreadyExists if owner/name is taken. */
  createProject(project: Project, chroots: ProjectChroot[]): Promise<void>;
  /** Overwrites an existing project (NotFoundInStore if it vanished). */
  updateProject(project: Project): Promise<void>;
  /** Removes the project and every item of its partition (chroots, packages, permissions). */
  deleteProject(owner: string, name: string): Promise<void>;

  listProjectChroots(owner: string, project: string): Promise<ProjectChroot[]>;
  getProjectChroot(owner: string, project: string, chroot: string): Promise<ProjectChroot | null>;
  putProjectChroot(chroot: ProjectChroot): Promise<void>;
  deleteProjectChroot(owner: string, project: string, chroot: string): Promise<void>;
  /** The comps file of a project chroot (name as uploaded, text content). */
  getComps(owner: string, project: string, chroot: string): Promise<{ name: string; content: string } | null>;
  putComps(owner: string, project: string, chroot: string, comps: { name: string; content: string }): Promise<void>;
  deleteComps(owner: string, project: string, chroot: string): Promise<void>;

  getPackage(owner: string, project: string, name: string): Promise<Package | null>;
  listPackages(owner: string, project: string): Promise<Package[]>;
  /** AlreadyExists if the package name is taken in the project. */
  createPackage(pkg: Package): Promise<void>;
  updatePackage(pkg: Package): Promise<void>;
  deletePackage(owner: string, project: string, name: string): Promise<void>;

  listPermissions(owner: string, project: string): Promise<ProjectPermission[]>;
  getPermission(owner: string, project: string, user: string): Promise<ProjectPermission | null>;
  /** All-or-nothing write of several permission rows. */
  putPermissions(perms: ProjectPermission[]): Promise<void>;
}

export class AlreadyExists extends Error {
  constructor(what: string) {
    super(`${what} already exists`);
    this.name = 'AlreadyExists';
  }
}

export class NotFoundInStore extends Error {
  constructor(what: string) {
    super(`${what} not found`);
    this.name = 'NotFoundInStore';
  }
}

/** Time and randomness, injected so tests can pin them. */
export interface Clock {
  now(): number; // epoch milliseconds
}

export const systemClock: Clock = { now: () => Date.now() };

/**
 * One request to (re)publish the repository `<owner>/<dirname>/<chroot>` (or its
 * `devel/` one): what the core asks of the publisher. The publisher validates the
 * same shape at its edge (functions/publish/publish-request.ts).
 */
export interface PublishRequest {
  owner: string;
  dirname: string;
  chroot: string;
  /** Build subdirs whose packages join the repository. */
  adds: string[];
  /** Build subdirs whose packages leave it; the publisher removes the dirs once no live metadata names them. */
  deletes?: string[];
  /** Re-scan the whole chroot dir (regenerate-repos). */
  full?: boolean;
  devel: boolean;
  /** comps.xml changed: republish even with nothing added or deleted. */
  comps?: boolean;
}

/**
 * Requests a publishing run: the composition roots compose it from the ledger and a
 * wake-up (functions/core/publish-ledger.ts `ledgerPublishSink`), so a request is in
 * the table before any message says it exists.
 */
export type PublishSink = (req: PublishRequest) => Promise<void>;

/** One repository (`owner/dirname/chroot`, or its devel one): the unit of publishing runs. */
export interface PublishRepository {
  owner: string;
  dirname: string;
  chroot: string;
  devel: boolean;
}

/** A requested change as the ledger keeps it until a run that included it finished. */
export interface LedgerEntry {
  id: string;
  recordedAt: number;
  request: PublishRequest;
}

/**
 * The publish ledger (functions/store/dynamo-publish-ledger.ts): every requested
 * change is recorded here before a wake-up is sent, the publisher merges the
 * pending entries of its repository and marks them done, and maintenance wakes the
 * publisher again for entries left pending too long. The lease lets one run per
 * repository work at a time, whatever delivers the wake-ups.
 */
export interface PublishLedger {
  /** Records the request (split into several entries when it is large); returns their ids. */
  record(req: PublishRequest, now: number): Promise<string[]>;
  /** Pending entries of the repository, oldest first, at most `limit`. */
  pending(repo: PublishRepository, limit: number): Promise<LedgerEntry[]>;
  /** Moves the entries to done (kept a few days for inspection). */
  markDone(repo: PublishRepository, entries: readonly LedgerEntry[], now: number): Promise<void>;
  /** Repositories with an entry recorded before `before`, at most `limit` distinct ones. */
  repositoriesPendingSince(before: number, limit: number): Promise<PublishRepository[]>;
  /** Wins the repository's lease when nobody holds it or the holder's ran out. */
  acquireLease(repo: PublishRepository, holder: string, now: number, leaseMs: number): Promise<boolean>;
  /** Extends a lease `holder` still has; false when it was lost. */
  renewLease(repo: PublishRepository, holder: string, now: number, leaseMs: number): Promise<boolean>;
  releaseLease(repo: PublishRepository, holder: string): Promise<void>;
  /** The current lease (operations: who is publishing, until when). */
  leaseOf(repo: PublishRepository): Promise<{ holder: string; until: number } | null>;
}

/** Wakes the publisher of one repository (an SQS FIFO message on AWS; it carries no work). */
export type PublishWakeUp = (repo: PublishRepository, entryIds: readonly string[]) => Promise<void>;

/** A wake-up of a worker (a queue message on AWS): it carries no work, losing one only delays it. */
export type WakeUp = () => Promise<void>;

/**
 * Where a project's sealed signing key is kept (an item of the table). The publisher
 * (functions/aws/publisher-task.ts) is its only user, so it is not part of `Ports`;
 * the sealed form is opaque here (KMS-sealed by publish/kms-key-store.ts).
 */
export interface SigningKeyStore {
  getSealed(owner: string, project: string): Promise<unknown>;
  /** Keeps the first key written; false when another run stored one first. */
  putSealedIfAbsent(owner: string, project: string, sealed: unknown): Promise<boolean>;
}

/** Fields a log line may carry; build and task ids make a build's story greppable. */
export interface LogFields {
  build_id?: number;
  task_id?: string;
  owner?: string;
  project?: string;
  [key: string]: string | number | boolean | null | undefined | string[] | number[];
}

/** A structured logger: one JSON object per line. */
export interface Logger {
  info(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
}

/**
 * Everything the core may ask of the world. A composition root (functions/aws/compose.ts,
 * functions/local/compose.ts) builds one of these and hands it to `createApp`
 * (functions/core/app.ts); a composition that forgets a port does not compile.
 */
export interface Ports {
  store: Store;
  builds: BuildStore;
  actions: ActionStore;
  claims: JobClaims;
  results: ResultsStore;
  fleet: Fleet;
  events: EventSink;
  publish: PublishSink;
  publishLedger: PublishLedger;
  wakePublisher: PublishWakeUp;
  /** Wakes the dispatcher. */
  wake: WakeUp;
  /** Wakes the action runner. */
  wakeActions: WakeUp;
  clock: Clock;
  log: Logger;
}
