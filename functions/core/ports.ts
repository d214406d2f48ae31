import type {
  Group,
  MockChroot,
  Package,
  Project,
  ProjectChroot,
  ProjectPermission,
  User,
} from './model.js';

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
