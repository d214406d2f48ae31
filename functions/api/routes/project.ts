import * as z from 'zod';
import { loadProject } from '../../core/access.js';
import type { ProjectSettings } from '../../core/projects.js';
import { tokenize } from '../../core/search.js';
import type { Project } from '../../core/model.js';
import type { AppContext } from '../context.js';
import { toFormFieldNames } from '../form-fields.js';
import { jsonBody, queryValue, requiredQuery, zBool, zIntLike, zStringList } from '../input.js';
import { indexedPage, pageResult, paginate, parsePage, type Orderable } from '../pagination.js';
import type { AuthedRequest, Route, RouteRequest } from '../router.js';
import { projectToApi } from '../serialize.js';

const TEXT = z.string().max(100_000);
const URLISH = z.string().max(2048).regex(/^(https?|copr):\/\/\S+$/, 'Invalid URL (http://, https:// or copr://)');

/** Fields shared by add and edit; unknown keys are ignored (the client sends extras). */
const Settings = z.object({
  description: TEXT.optional(),
  instructions: TEXT.optional(),
  homepage: z.string().max(2048).url().optional().or(z.literal('').transform(() => undefined)),
  contact: z.string().max(2048).optional(),
  runtime_dependencies: zStringList.pipe(z.array(URLISH)).optional(),
  packit_forge_projects_allowed: zStringList
    .transform((l) => l.map((s) => s.replace(/^\w+:\/\//, '')))
    .optional(),
  unlisted_on_hp: zBool.optional(),
  enable_net: zBool.optional(),
  auto_prune: zBool.optional(),
  devel_mode: zBool.optional(),
  bootstrap: z.enum(['default', 'on', 'off', 'image']).optional(),
  use_bootstrap_container: zBool.optional(),
  isolation: z.enum(['default', 'simple', 'nspawn']).optional(),
  follow_fedora_branching: zBool.optional(),
  delete_after_days: zIntLike.pipe(z.number().int().min(-1).max(720)).optional(),
  multilib: zBool.optional(),
  module_hotfixes: zBool.optional(),
  fedora_review: zBool.optional(),
  appstream: zBool.optional(),
  repo_priority: zIntLike.pipe(z.number().int().min(1).max(99)).optional(),
});

const AddBody = Settings.extend({
  name: z.string().min(1).max(100),
  chroots: zStringList.pipe(z.array(z.string().max(100))).optional(),
  /** `additional_repos` on the wire; renamed first, as upstream does (field errors say `repos`). */
  repos: zStringList.pipe(z.array(URLISH)).optional(),
  persistent: zBool.optional(),
  storage: z.enum(['backend', 'pulp']).optional(),
});

const EditBody = Settings.extend({
  repos: zStringList.pipe(z.array(URLISH)).optional(),
  additional_repos: zStringList.pipe(z.array(URLISH)).optional(),
  chroots: zStringList.pipe(z.array(z.string().max(100))).optional(),
});

function toSettings(b: z.infer<typeof Settings>): ProjectSettings {
  const { use_bootstrap_container, ...rest } = b;
  const s: ProjectSettings = { ...rest };
  // Legacy boolean maps onto the bootstrap setting when no explicit value is given.
  if (s.bootstrap === undefined && use_bootstrap_container !== undefined) s.bootstrap = use_bootstrap_container ? 'on' : 'off';
  return s;
}

export async function projectView(ctx: AppContext, p: Project) {
  const chroots = await ctx.store.listProjectChroots(p.ownername, p.name);
  return projectToApi(ctx.config, p, chroots);
}

const projectOrder: Orderable<Project> = {
  id: (p) => p.id,
  name: (p) => p.name,
  ownername: (p) => p.ownername,
  full_name: (p) => `${p.ownername}/${p.name}`,
};

async function getProject(req: RouteRequest, ctx: AppContext) {
  const p = await loadProject(ctx.store, requiredQuery(req, 'ownername'), requiredQuery(req, 'projectname'));
  return projectView(ctx, p);
}

/**
 * In id order (the default) pages come from keyset cursors over the owner's projects
 * index (by id) or the collection of all projects: a page's reads do not grow with
 * the offset or the number of projects. Other columns sort in memory.
 */
async function listProjects(req: RouteRequest, ctx: AppContext) {
  const page = parsePage(req);
  const owner = queryValue(req, 'ownername');
  if (page.order === 'id') {
    const listing = ctx.store.projectPages(owner || null, page.order_type === 'DESC');
    const items = await indexedPage(ctx.store.pageCursors, listing, page);
    return pageResult(await Promise.all(items.map((p) => projectView(ctx, p))), page);
  }
  const all = owner ? await ctx.store.listProjectsByOwner(owner) : await ctx.store.listAllProjects();
  const items = paginate(all, page, projectOrder, 'Copr');
  return pageResult(await Promise.all(items.map((p) => projectView(ctx, p))), page);
}

/**
 * With `limit` in id order, pages come from keyset cursors over the first word's
 * search entries (by project id), each checked against the other words: a page's
 * reads grow with how rare a hit is among the first word's entries, not with the
 * offset. Otherwise every hit is read and sorted in memory.
 */
async function searchProjects(req: RouteRequest, ctx: AppContext) {
  const page = parsePage(req);
  const tokens = tokenize(requiredQuery(req, 'query'));
  if (page.limit !== null && page.order === 'id' && tokens.length > 0) {
    const refs = await indexedPage(ctx.store.pageCursors, ctx.store.searchPages(tokens, page.order_type === 'DESC'), page);
    // A hit whose project was deleted since its entry was read is left out.
    const rows = await Promise.all(refs.map((r) => ctx.store.getProject(r.ownername, r.name)));
    const found = rows.filter((p): p is Project => p !== null);
    return pageResult(await Promise.all(found.map((p) => projectView(ctx, p))), page);
  }
  const found = await ctx.store.findProjectsByTokens(tokens);
  const items = paginate(found, page, projectOrder, 'Copr');
  return pageResult(await Promise.all(items.map((p) => projectView(ctx, p))), page);
}

async function addProject(req: AuthedRequest, ctx: AppContext) {
  const body = AddBody.parse(toFormFieldNames(jsonBody(req), { additional_repos: 'repos' }));
  // Only the exact string `True` counts (upstream quirk).
  const existOk = queryValue(req, 'exist_ok') === 'True';
  const { name, chroots, repos, ...rest } = body;
  const p = await ctx.app.projects.create(req.caller, req.params.ownername!, {
    ...toSettings(rest),
    additional_repos: repos,
    persistent: rest.persistent,
    storage: rest.storage,
    name,
    chroots: chroots ?? [],
  }, existOk);
  return projectView(ctx, p);
}

async function editProjectRoute(req: AuthedRequest, ctx: AppContext) {
  const body = EditBody.parse(jsonBody(req));
  const { repos, additional_repos, chroots, ...rest } = body;
  const settings: ProjectSettings = { ...toSettings(rest) };
  const repoList = repos ?? additional_repos;
  if (repoList !== undefined) settings.additional_repos = repoList;
  const p = await ctx.app.projects.edit(req.caller, req.params.ownername!, req.params.projectname!, settings, chroots);
  return projectView(ctx, p);
}

async function deleteProjectRoute(req: AuthedRequest, ctx: AppContext) {
  const view = await projectView(ctx, await loadProject(ctx.store, req.params.ownername!, req.params.projectname!));
  // Builds and results go in a queued action (GET /api_3/project/actions/...).
  await ctx.app.projects.delete(req.caller, req.params.ownername!, req.params.projectname!);
  return view;
}

async function regenerateRepos(req: AuthedRequest, ctx: AppContext) {
  return projectView(ctx, await ctx.app.projects.regenerateRepos(req.caller, req.params.ownername!, req.params.projectname!));
}

export const projectRoutes: Route[] = [
  { method: 'GET', path: '/api_3/project', handler: getProject },
  { method: 'GET', path: '/api_3/project/list', handler: listProjects },
  { method: 'GET', path: '/api_3/project/search', handler: searchProjects },
  { method: 'POST', path: '/api_3/project/add/{ownername}', auth: true, handler: addProject },
  { method: 'PUT', path: '/api_3/project/edit/{ownername}/{projectname}', auth: true, handler: editProjectRoute },
  { method: 'DELETE', path: '/api_3/project/delete/{ownername}/{projectname}', auth: true, handler: deleteProjectRoute },
  { method: 'PUT', path: '/api_3/project/regenerate-repos/{ownername}/{projectname}', auth: true, handler: regenerateRepos },
  { method: 'POST', path: '/api_3/project/fork/{ownername}/{projectname}', auth: true, handler: forkProjectRoute },
];

const ForkBody = z.object({
  name: z.string().min(1).max(100),
  /** Defaults to the caller, as the web form does. */
  ownername: z.string().min(1).max(101).optional(),
  confirm: zBool.optional(),
});

/** `copr-cli fork`: returns the destination; builds are copied by a queued `fork` action. */
async function forkProjectRoute(req: AuthedRequest, ctx: AppContext) {
  const body = ForkBody.parse(jsonBody(req));
  const project = await ctx.app.projects.fork(req.caller, req.params.ownername!, req.params.projectname!, {
    name: body.name,
    ownername: body.ownername ?? req.caller.user.name,
    confirm: body.confirm ?? false,
  });
  return projectView(ctx, project);
}
