import { loadProject, requireEdit } from './access.js';
import type { Caller, Project } from './model.js';
import type { Store } from './ports.js';

/**
 * Reads behind dashboard pages that have no Copr APIv3 counterpart (Copr renders them
 * server-side): the integrations page's webhook secret and the `/user/info` page.
 */

/** The project's webhook secret, for those who may edit it (null until one is generated). */
export async function readWebhookSecret(store: Store, caller: Caller, owner: string, name: string): Promise<Project> {
  const project = await loadProject(store, owner, name);
  await requireEdit(store, caller, project, 'see the webhook secret');
  return project;
}

export interface UserInfo {
  name: string;
  admin: boolean;
  groups: string[];
  api_token_expiration: string;
  projects: string[];
}

/** What `/user/info` shows the signed-in user about themselves (never the token itself). */
export async function userInfo(store: Store, caller: Caller): Promise<UserInfo> {
  const u = caller.user;
  const projects = (await store.listProjectsByOwner(u.name)).map((p) => p.name).sort();
  return { name: u.name, admin: u.admin, groups: [...u.groups].sort(), api_token_expiration: u.api_token_expiration, projects };
}
