import { createHash } from 'node:crypto';
import {
  DeleteCommand,
  GetCommand,
  PutCommand,
  QueryCommand,
  TransactWriteCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import type { Group, MockChroot, Package, Project, ProjectChroot, ProjectPermission, User } from '../core/model.js';
import { AlreadyExists, NotFoundInStore, type ProjectRef, type Store } from '../core/ports.js';
import { projectSearchTokens } from '../core/search.js';
import { batchDelete, batchWrite, isConditionFailure, plainItem, TableClient, type Item } from './dynamo-ops.js';
import type { KeysetListing, PageCursors } from '../core/keyset-pages.js';
import { bumpListGeneration, DynamoKeysetListing, DynamoPageCursors, listGeneration } from './dynamo-keyset.js';
import { INDEX, keys, listScopes, pad, type Key } from './table.js';


const NOT_EXISTS = 'attribute_not_exists(pk)';
const EXISTS = 'attribute_exists(pk)';

export class DynamoStore extends TableClient implements Store {
  // ---- generic helpers -------------------------------------------------------

  private async get<T>(key: Key): Promise<T | null> {
    const res = await this.db.send(new GetCommand({ TableName: this.table, Key: key }));
    return plainItem<T>(res.Item);
  }

  private queryPartition(pk: string, skPrefix?: string): Promise<Item[]> {
    return this.queryAll(
      skPrefix
        ? {
            KeyConditionExpression: 'pk = :pk AND begins_with(sk, :p)',
            ExpressionAttributeValues: { ':pk': pk, ':p': skPrefix },
          }
        : { KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': pk } },
    );
  }

  private batchDelete(itemKeys: Key[]): Promise<void> {
    return batchDelete(this.db, this.table, itemKeys);
  }

  // ---- counters ----------------------------------------------------------------

  async nextId(counter: string): Promise<number> {
    const res = await this.db.send(
      new UpdateCommand({
        TableName: this.table,
        Key: keys.counter(counter),
        UpdateExpression: 'ADD #v :one',
        ExpressionAttributeNames: { '#v': 'value' },
        ExpressionAttributeValues: { ':one': 1 },
        ReturnValues: 'UPDATED_NEW',
      }),
    );
    return Number(res.Attributes?.value);
  }

  // ---- users and groups ----------------------------------------------------------

  getUser(name: string): Promise<User | null> {
    return this.get<User>(keys.user(name));
  }

  async getUserByApiLogin(login: string): Promise<User | null> {
    const link = await this.get<{ username: string }>(keys.apiLogin(login));
    if (!link) return null;
    const user = await this.getUser(link.username);
    // A stale link (token rotated in between) must not authenticate anyone.
    return user && user.api_login === login ? user : null;
  }

  async createUser(user: User): Promise<void> {
    try {
      await this.db.send(
        new TransactWriteCommand({
          TransactItems: [
            { Put: { TableName: this.table, Item: { ...keys.user(user.name), entity: 'user', ...user }, ConditionExpression: NOT_EXISTS } },
            {
              Put: {
                TableName: this.table,
                Item: { ...keys.apiLogin(user.api_login), entity: 'api-login', username: user.name },
                ConditionExpression: NOT_EXISTS,
              },
            },
          ],
        }),
      );
    } catch (err) {
      if (isConditionFailure(err)) throw new AlreadyExists(`User ${user.name}`);
      throw err;
    }
  }

  async rotateApiToken(
    name: string,
    oldLogin: string,
    next: Pick<User, 'api_login' | 'api_token_hash' | 'api_token_expiration'>,
  ): Promise<void> {
    const transact: NonNullable<ConstructorParameters<typeof TransactWriteCommand>[0]['TransactItems']> = [
      {
        Update: {
          TableName: this.table,
          Key: keys.user(name),
          // Only if nobody rotated in between: the old login must still be current.
          ConditionExpression: 'api_login = :old',
          UpdateExpression: 'SET api_login = :l, api_token_hash = :h, api_token_expiration = :e',
          ExpressionAttributeValues: {
            ':old': oldLogin,
            ':l': next.api_login,
            ':h': next.api_token_hash,
            ':e': next.api_token_expiration,
          },
        },
      },
      {
        Put: {
          TableName: this.table,
          Item: { ...keys.apiLogin(next.api_login), entity: 'api-login', username: name },
          ConditionExpression: NOT_EXISTS,
        },
      },
    ];
    if (oldLogin !== next.api_login) {
      transact.push({ Delete: { TableName: this.table, Key: keys.apiLogin(oldLogin) } });
    }
    try {
      await this.db.send(new TransactWriteCommand({ TransactItems: transact }));
    } catch (err) {
      if (isConditionFailure(err)) throw new AlreadyExists('API login (concurrent rotation)');
      throw err;
    }
  }

  async setUserAdmin(name: string, admin: boolean): Promise<void> {
    await this.updateUser(name, 'SET #a = :v', { '#a': 'admin' }, { ':v': admin });
  }

  async setUserGroups(name: string, groups: string[]): Promise<void> {
    await this.updateUser(name, 'SET #g = :v', { '#g': 'groups' }, { ':v': groups });
  }

  private async updateUser(name: string, expr: string, names: Record<string, string>, values: Item): Promise<void> {
    try {
      await this.db.send(
        new UpdateCommand({
          TableName: this.table,
          Key: keys.user(name),
          ConditionExpression: EXISTS,
          UpdateExpression: expr,
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
        }),
      );
    } catch (err) {
      if (isConditionFailure(err)) throw new NotFoundInStore(`User ${name}`);
      throw err;
    }
  }

  getGroup(name: string): Promise<Group | null> {
    return this.get<Group>(keys.group(name));
  }

  async createGroup(group: Group): Promise<void> {
    try {
      await this.db.send(
        new PutCommand({
          TableName: this.table,
          Item: { ...keys.group(group.name), entity: 'group', ...group },
          ConditionExpression: NOT_EXISTS,
        }),
      );
    } catch (err) {
      if (isConditionFailure(err)) throw new AlreadyExists(`Group ${group.name}`);
      throw err;
    }
  }

  // ---- mock chroots ----------------------------------------------------------------

  async listMockChroots(): Promise<MockChroot[]> {
    const items = await this.queryPartition(keys.mockChrootPartition);
    return items.map((i) => plainItem<MockChroot>(i)!);
  }

  getMockChroot(name: string): Promise<MockChroot | null> {
    return this.get<MockChroot>(keys.mockChroot(name));
  }

  async putMockChroot(chroot: MockChroot): Promise<void> {
    await this.db.send(
      new PutCommand({ TableName: this.table, Item: { ...keys.mockChroot(chroot.name), entity: 'mock-chroot', ...chroot } }),
    );
  }

  // ---- projects ----------------------------------------------------------------------

  private projectItem(p: Project): Item {
    return {
      ...keys.project(p.ownername, p.name),
      ...keys.projectByOwner(p.ownername, p.id),
      ...keys.projectInCollection(p.id),
      entity: 'project',
      ...p,
    };
  }

  private searchItems(p: Project): Item[] {
    return projectSearchTokens(p).map((t) => keys.searchTokenItem(t, p));
  }

  private chrootItem(c: ProjectChroot): Item {
    return { ...keys.projectChroot(c.ownername, c.projectname, c.mock_chroot), entity: 'project-chroot', ...c };
  }

  getProject(owner: string, name: string): Promise<Project | null> {
    return this.get<Project>(keys.project(owner, name));
  }

  /**
   * Id lookup through the byCollection index, whose sort key already is the padded
   * project id: one Query, and no second item to keep in step with the project.
   */
  async getProjectById(id: number): Promise<Project | null> {
    if (!Number.isSafeInteger(id) || id < 0) return null;
    const res = await this.db.send(
      new QueryCommand({
        TableName: this.table,
        IndexName: INDEX.byCollection,
        KeyConditionExpression: 'gsi2pk = :c AND gsi2sk = :id',
        ExpressionAttributeValues: { ':c': keys.allProjectsPartition, ':id': keys.projectInCollection(id).gsi2sk },
        Limit: 1,
      }),
    );
    return plainItem<Project>(res.Items?.[0] as Item | undefined);
  }

  /**
   * Bulk import (seeding, migrations): projects without chroots, with their search
   * index, written by parallel BatchWrites. No uniqueness check: callers import
   * names that do not exist yet.
   */
  async importProjects(projects: Project[], parallel = 8): Promise<void> {
    const items = projects.flatMap((p) => [this.projectItem(p), ...this.searchItems(p)]);
    const batches: Item[][] = [];
    for (let i = 0; i < items.length; i += 25) batches.push(items.slice(i, i + 25));
    const worker = async () => {
      for (let batch = batches.pop(); batch; batch = batches.pop()) {
        await batchWrite(this.db, this.table, batch.map((Item) => ({ PutRequest: { Item } })));
      }
    };
    await Promise.all(Array.from({ length: parallel }, worker));
  }

  listProjectsByOwner(owner: string): Promise<Project[]> {
    return this.queryIndex<Project>(INDEX.byParent, keys.ownerProjectsPartition(owner));
  }

  listAllProjects(): Promise<Project[]> {
    return this.queryIndex<Project>(INDEX.byCollection, keys.allProjectsPartition);
  }

  projectPages(owner: string | null, descending: boolean): KeysetListing<Project> {
    const dir = descending ? 'DESC' : 'ASC';
    if (owner === null) {
      return new DynamoKeysetListing<Project>(
        this.db, this.table, `PROJECTS#${dir}`,
        { index: INDEX.byCollection, partition: keys.allProjectsPartition, descending },
        (p) => keys.projectInCollection(p.id).gsi2sk,
        () => listGeneration(this.db, this.table, listScopes.allProjects),
      );
    }
    return new DynamoKeysetListing<Project>(
      this.db, this.table, `OWNER#${owner}#${dir}`,
      { index: INDEX.byParent, partition: keys.ownerProjectsPartition(owner), descending },
      (p) => keys.projectByOwnerSort(p.id),
      () => listGeneration(this.db, this.table, listScopes.ownerProjects(owner)),
    );
  }

  /**
   * Walks the first token's entries in project id order; an entry is a hit when every
   * other token has an entry for the same project (one GetItem each). Deleted projects
   * and edits that drop tokens bump the all-projects generation these pages check.
   */
  searchPages(tokens: string[], descending: boolean): KeysetListing<ProjectRef> {
    const [first = '', ...others] = tokens;
    const name = `SEARCH#${createHash('sha256').update(tokens.join(' ')).digest('hex').slice(0, 32)}#${descending ? 'DESC' : 'ASC'}`;
    const inEvery = async (item: Item) => {
      for (const t of others) {
        const res = await this.db.send(new GetCommand({ TableName: this.table, Key: { pk: keys.searchTokenPartition(t), sk: String(item.sk) }, ProjectionExpression: 'pk' }));
        if (!res.Item) return false;
      }
      return true;
    };
    return new DynamoKeysetListing<ProjectRef>(
      this.db, this.table, name,
      { partition: keys.searchTokenPartition(first), descending, ...(others.length ? { match: inEvery } : {}) },
      (r) => pad(r.project_id),
      () => listGeneration(this.db, this.table, listScopes.allProjects),
      (i) => ({ ownername: String(i.ownername), name: String(i.name), project_id: Number(i.project_id) }),
    );
  }

  get pageCursors(): PageCursors {
    return new DynamoPageCursors(this.db, this.table);
  }

  async findProjectsByTokens(tokens: string[]): Promise<Project[]> {
    if (tokens.length === 0) return [];
    // Query the partition of each token and intersect; then fetch the projects.
    let names: Set<string> | undefined;
    for (const token of tokens) {
      const items = await this.queryPartition(keys.searchTokenPartition(token));
      const found = new Set(items.map((i) => `${String(i.ownername)}/${String(i.name)}`));
      const prev: Set<string> | undefined = names;
      names = prev === undefined ? found : new Set([...prev].filter((n) => found.has(n)));
      if (names.size === 0) return [];
    }
    const projects = await Promise.all(
      [...(names ?? [])].map((full) => {
        const slash = full.indexOf('/');
        return this.getProject(full.slice(0, slash), full.slice(slash + 1));
      }),
    );
    return projects.filter((p): p is Project => p !== null);
  }

  async createProject(project: Project, chroots: ProjectChroot[]): Promise<void> {
    const search = this.searchItems(project);
    try {
      await this.db.send(
        new TransactWriteCommand({
          TransactItems: [
            { Put: { TableName: this.table, Item: this.projectItem(project), ConditionExpression: NOT_EXISTS } },
            ...chroots.map((c) => ({ Put: { TableName: this.table, Item: this.chrootItem(c) } })),
          ],
        }),
      );
    } catch (err) {
      if (isConditionFailure(err)) throw new AlreadyExists(`Project ${project.ownername}/${project.name}`);
      throw err;
    }
    await this.writeSearchItems(search);
  }

  private writeSearchItems(items: Item[]): Promise<void> {
    return batchWrite(this.db, this.table, items.map((Item) => ({ PutRequest: { Item } })));
  }

  async updateProject(project: Project): Promise<void> {
    const before = await this.getProject(project.ownername, project.name);
    if (!before) throw new NotFoundInStore(`Project ${project.ownername}/${project.name}`);
    try {
      await this.db.send(
        new PutCommand({ TableName: this.table, Item: this.projectItem(project), ConditionExpression: EXISTS }),
      );
    } catch (err) {
      if (isConditionFailure(err)) throw new NotFoundInStore(`Project ${project.ownername}/${project.name}`);
      throw err;
    }
    // Re-index only when searchable text changed.
    const oldTokens = new Set(projectSearchTokens(before));
    const newTokens = new Set(projectSearchTokens(project));
    const stale = [...oldTokens].filter((t) => !newTokens.has(t));
    const added = this.searchItems(project).filter((i) => !oldTokens.has(String(i.pk).slice(7)));
    // A project leaving or joining a word's listing moves the search pages after it:
    // their cursors stop being trusted (before: a crash; after: a racing page).
    const moved = stale.length > 0 || added.length > 0;
    if (moved) await bumpListGeneration(this.db, this.table, listScopes.allProjects);
    await this.batchDelete(stale.map((t) => keys.searchToken(t, project.id)));
    await this.writeSearchItems(added);
    if (moved) await bumpListGeneration(this.db, this.table, listScopes.allProjects);
  }

  async deleteProject(owner: string, name: string): Promise<void> {
    const project = await this.getProject(owner, name);
    const items = await this.queryPartition(keys.projectPartition(owner, name));
    const tokenKeys = project ? projectSearchTokens(project).map((t) => keys.searchToken(t, project.id)) : [];
    // project/list cursors stop being trusted: before (a crash mid-delete) and after (a page read racing it).
    await this.bumpProjectLists(owner);
    await this.batchDelete([...tokenKeys, ...items.map((i) => ({ pk: String(i.pk), sk: String(i.sk) }))]);
    await this.bumpProjectLists(owner);
  }

  private async bumpProjectLists(owner: string): Promise<void> {
    await bumpListGeneration(this.db, this.table, listScopes.ownerProjects(owner));
    await bumpListGeneration(this.db, this.table, listScopes.allProjects);
  }

  // ---- project chroots -----------------------------------------------------------------

  async listProjectChroots(owner: string, project: string): Promise<ProjectChroot[]> {
    const items = await this.queryPartition(keys.projectPartition(owner, project), keys.projectChrootPrefix);
    return items.map((i) => plainItem<ProjectChroot>(i)!);
  }

  getProjectChroot(owner: string, project: string, chroot: string): Promise<ProjectChroot | null> {
    return this.get<ProjectChroot>(keys.projectChroot(owner, project, chroot));
  }

  async putProjectChroot(chroot: ProjectChroot): Promise<void> {
    await this.db.send(new PutCommand({ TableName: this.table, Item: this.chrootItem(chroot) }));
  }

  async deleteProjectChroot(owner: string, project: string, chroot: string): Promise<void> {
    await this.db.send(new DeleteCommand({ TableName: this.table, Key: keys.projectChroot(owner, project, chroot) }));
  }

  // ---- packages --------------------------------------------------------------------------

  private packageItem(p: Package): Item {
    return { ...keys.package(p.ownername, p.projectname, p.name), ...keys.packageOfProject(p.ownername, p.projectname, p.id), entity: 'package', ...p };
  }

  /**
   * By id: the project's packages index (gsi1). By name: the project's own partition,
   * whose package keys are `PACKAGE#<name>` (the same order as upstream's for
   * the ASCII names packages have).
   */
  packagePages(project: Project, order: 'id' | 'name', descending: boolean): KeysetListing<Package> {
    const scope = order === 'id' ? listScopes.projectPackages : listScopes.projectPackageNames;
    const generation = () => listGeneration(this.db, this.table, scope(project.ownername, project.name));
    const name = `PKG#${project.id}#${order}#${descending ? 'DESC' : 'ASC'}`;
    if (order === 'id') {
      return new DynamoKeysetListing<Package>(
        this.db, this.table, name,
        { index: INDEX.byParent, partition: keys.projectPackagesPartition(project.ownername, project.name), descending },
        (p) => keys.packageOfProject(p.ownername, p.projectname, p.id).gsi1sk,
        generation,
      );
    }
    return new DynamoKeysetListing<Package>(
      this.db, this.table, name,
      { partition: keys.projectPartition(project.ownername, project.name), prefix: keys.packagePrefix, descending },
      (p) => keys.package(p.ownername, p.projectname, p.name).sk,
      generation,
    );
  }

  getPackage(owner: string, project: string, name: string): Promise<Package | null> {
    return this.get<Package>(keys.package(owner, project, name));
  }

  async listPackages(owner: string, project: string): Promise<Package[]> {
    const items = await this.queryPartition(keys.projectPartition(owner, project), keys.packagePrefix);
    return items.map((i) => plainItem<Package>(i)!);
  }

  async createPackage(pkg: Package): Promise<void> {
    // New ids only append to the id order; by name the package lands anywhere, so the
    // name pages' cursors stop being trusted (before: a crash; after: a racing page).
    await bumpListGeneration(this.db, this.table, listScopes.projectPackageNames(pkg.ownername, pkg.projectname));
    await this.putPackage(pkg, NOT_EXISTS, () => new AlreadyExists(`Package ${pkg.name}`));
    await bumpListGeneration(this.db, this.table, listScopes.projectPackageNames(pkg.ownername, pkg.projectname));
  }

  updatePackage(pkg: Package): Promise<void> {
    return this.putPackage(pkg, EXISTS, () => new NotFoundInStore(`Package ${pkg.name}`));
  }

  /** Writes the package when `condition` holds; otherwise throws what `refused` makes. */
  private async putPackage(pkg: Package, condition: string, refused: () => Error): Promise<void> {
    try {
      await this.db.send(new PutCommand({ TableName: this.table, Item: this.packageItem(pkg), ConditionExpression: condition }));
    } catch (err) {
      if (isConditionFailure(err)) throw refused();
      throw err;
    }
  }

  async deletePackage(owner: string, project: string, name: string): Promise<void> {
    // package/list cursors stop being trusted, before and after (see deleteProject).
    await this.bumpPackageLists(owner, project);
    await this.db.send(new DeleteCommand({ TableName: this.table, Key: keys.package(owner, project, name) }));
    await this.bumpPackageLists(owner, project);
  }

  private async bumpPackageLists(owner: string, project: string): Promise<void> {
    await bumpListGeneration(this.db, this.table, listScopes.projectPackages(owner, project));
    await bumpListGeneration(this.db, this.table, listScopes.projectPackageNames(owner, project));
  }

  // ---- permissions -----------------------------------------------------------------------

  async listPermissions(owner: string, project: string): Promise<ProjectPermission[]> {
    const items = await this.queryPartition(keys.projectPartition(owner, project), keys.permissionPrefix);
    return items.map((i) => plainItem<ProjectPermission>(i)!);
  }

  getPermission(owner: string, project: string, user: string): Promise<ProjectPermission | null> {
    return this.get<ProjectPermission>(keys.permission(owner, project, user));
  }

  async putPermissions(perms: ProjectPermission[]): Promise<void> {
    if (perms.length === 0) return;
    await this.db.send(
      new TransactWriteCommand({
        TransactItems: perms.map((p) => ({
          Put: {
            TableName: this.table,
            Item: { ...keys.permission(p.ownername, p.projectname, p.username), entity: 'permission', ...p },
          },
        })),
      }),
    );
  }

  // ---- comps files -------------------------------------------------------------------------

  async getComps(owner: string, project: string, chroot: string): Promise<{ name: string; content: string } | null> {
    const item = await this.get<{ name: string; content: string }>(keys.comps(owner, project, chroot));
    return item ? { name: item.name, content: item.content } : null;
  }

  async putComps(owner: string, project: string, chroot: string, comps: { name: string; content: string }): Promise<void> {
    await this.db.send(
      new PutCommand({
        TableName: this.table,
        Item: { ...keys.comps(owner, project, chroot), entity: 'comps', name: comps.name, content: comps.content },
      }),
    );
  }

  async deleteComps(owner: string, project: string, chroot: string): Promise<void> {
    await this.db.send(new DeleteCommand({ TableName: this.table, Key: keys.comps(owner, project, chroot) }));
  }
}
