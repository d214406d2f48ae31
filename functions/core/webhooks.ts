import { createHash, createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import * as z from 'zod';
import { loadProject, requireEdit } from './access.js';
import type { Build } from './build-model.js';
import { submitBuild, type BuildDeps } from './builds.js';
import { badRequest, CoprError, forbidden, notFound } from './errors.js';
import type { Caller, Package, Project } from './model.js';

/**
 * Webhooks (spec §2.10 and Copr's `/webhooks/...` endpoints): a forge reports a
 * push, we find the project by id, check the secret, match the pushed repository
 * and branch/tag against the project's SCM packages that have `webhook_rebuild`
 * on, and submit one build per matching package (submitter null). Everything a
 * sender can get wrong is a 4xx with a reason; nothing here answers 5xx for input.
 */
export type Forge = 'github' | 'gitlab' | 'bitbucket' | 'pagure' | 'custom';

export interface PushRef {
  kind: 'branch' | 'tag';
  name: string;
}

/** What a forge's payload says happened. */
export type HookEvent =
  | { kind: 'push'; cloneUrls: string[]; refs: PushRef[] }
  /** Pings, branch deletions, other event types: accepted, nothing to build. */
  | { kind: 'ignore'; reason: string };

export interface WebhookRequest {
  forge: Forge;
  /** Path segments as sent; validated here. */
  coprId: string;
  uuid: string;
  packageName?: string;
  /** Lower-case header names. */
  headers: Record<string, string>;
  body: Buffer;
}

export interface WebhookOutcome {
  builds: Build[];
  /** Why nothing was built, when nothing was. */
  ignored?: string;
}

export type WebhookDeps = BuildDeps;

// ---- secrets ------------------------------------------------------------------------

/** `POST /api_3/webhook/generate/{o}/{p}`: a fresh uuid4 replaces the old secret. */
export async function generateWebhookSecret(
  deps: Pick<BuildDeps, 'store'>,
  caller: Caller,
  owner: string,
  projectname: string,
  newSecret: () => string = randomUUID,
): Promise<Project> {
  const project = await loadProject(deps.store, owner, projectname);
  await requireEdit(deps.store, caller, project, 'generate a webhook secret');
  const next: Project = { ...project, webhook_secret: newSecret() };
  await deps.store.updateProject(next);
  return next;
}

/** Compares digests so neither length nor content leaks through timing. */
function sameSecret(a: string, b: string): boolean {
  const da = createHash('sha256').update(a).digest();
  const db = createHash('sha256').update(b).digest();
  return timingSafeEqual(da, db);
}

const badSecret = () => forbidden('Bad webhook secret');

/**
 * The uuid in the path must be the project's secret (Copr's form). GitHub's
 * `X-Hub-Signature-256` (HMAC-SHA256 of the raw body, keyed with the secret) and
 * GitLab's `X-Gitlab-Token` are checked as well when the sender includes them: a
 * request that carries one and gets it wrong is refused even with a valid uuid.
 */
export function verifySecret(project: Project, req: WebhookRequest): void {
  const secret = project.webhook_secret;
  if (!secret) throw forbidden('This project has no webhook secret; generate one first (copr-cli new-webhook-secret)');
  if (!sameSecret(req.uuid, secret)) throw badSecret();
  const signature = req.headers['x-hub-signature-256'];
  if (signature !== undefined) {
    const expected = `sha256=${createHmac('sha256', secret).update(req.body).digest('hex')}`;
    if (!sameSecret(signature.trim().toLowerCase(), expected)) throw forbidden('Bad X-Hub-Signature-256');
  }
  const token = req.headers['x-gitlab-token'];
  if (token !== undefined && !sameSecret(token, secret)) throw forbidden('Bad X-Gitlab-Token');
}

// ---- payloads -----------------------------------------------------------------------

const MAX_PAYLOAD = 5 * 1024 * 1024;
/** Forges' payloads are small; the local server refuses bigger bodies unread. */
export const MAX_WEBHOOK_PAYLOAD = MAX_PAYLOAD;

/** JSON body, or GitHub's form encoding (`payload=<json>`). */
function payloadOf(req: WebhookRequest): unknown {
  if (req.body.length > MAX_PAYLOAD) throw new CoprError('payload-too-large', 'Webhook payload too large');
  let text = req.body.toString('utf8');
  if ((req.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded')) {
    text = new URLSearchParams(text).get('payload') ?? '';
  }
  try {
    return JSON.parse(text);
  } catch {
    throw badRequest('Webhook payload is not valid JSON');
  }
}

function parsePayload<S extends z.ZodType>(schema: S, value: unknown): z.infer<S> {
  const r = schema.safeParse(value);
  if (!r.success) {
    const first = r.error.issues[0];
    throw badRequest(`Bad webhook payload: ${first ? `${first.path.join('.') || 'payload'}: ${first.message}` : 'invalid'}`);
  }
  return r.data;
}

/** `refs/heads/x` → branch x, `refs/tags/v1` → tag v1. */
function refOf(ref: string): PushRef | null {
  if (ref.startsWith('refs/heads/')) return { kind: 'branch', name: ref.slice('refs/heads/'.length) };
  if (ref.startsWith('refs/tags/')) return { kind: 'tag', name: ref.slice('refs/tags/'.length) };
  return null;
}

const urls = (...candidates: Array<string | null | undefined>) => [...new Set(candidates.filter((u): u is string => !!u))];
const ZERO_SHA = /^0+$/;

const GithubPayload = z.object({
  ref: z.string().min(1),
  ref_type: z.string().optional(),
  deleted: z.boolean().optional(),
  repository: z.object({
    clone_url: z.string().nullish(),
    html_url: z.string().nullish(),
    ssh_url: z.string().nullish(),
    git_url: z.string().nullish(),
  }),
});

function githubEvent(req: WebhookRequest): HookEvent {
  const type = req.headers['x-github-event'];
  if (!type) throw badRequest('Missing X-GitHub-Event header');
  if (type === 'ping') return { kind: 'ignore', reason: 'ping' };
  if (type !== 'push' && type !== 'create') return { kind: 'ignore', reason: `event ${type} is not a push` };
  const p = parsePayload(GithubPayload, payloadOf(req));
  const cloneUrls = urls(p.repository.clone_url, p.repository.html_url, p.repository.ssh_url, p.repository.git_url);
  if (cloneUrls.length === 0) throw badRequest('Bad webhook payload: repository has no clone URL');
  if (type === 'create') {
    // `create` reports new branches and tags by name; only tags start builds.
    return p.ref_type === 'tag' ? { kind: 'push', cloneUrls, refs: [{ kind: 'tag', name: p.ref }] } : { kind: 'ignore', reason: 'branch created' };
  }
  if (p.deleted) return { kind: 'ignore', reason: 'ref deleted' };
  const ref = refOf(p.ref);
  if (!ref) throw badRequest(`Bad webhook payload: ref ${p.ref} is neither a branch nor a tag`);
  return { kind: 'push', cloneUrls, refs: [ref] };
}

const GitlabPayload = z.object({
  object_kind: z.string(),
  ref: z.string().min(1),
  after: z.string().optional(),
  project: z.object({ git_http_url: z.string().nullish(), git_ssh_url: z.string().nullish(), web_url: z.string().nullish() }).optional(),
  repository: z.object({ git_http_url: z.string().nullish(), git_ssh_url: z.string().nullish(), homepage: z.string().nullish(), url: z.string().nullish() }).optional(),
});

function gitlabEvent(req: WebhookRequest): HookEvent {
  const type = req.headers['x-gitlab-event'];
  if (type && type !== 'Push Hook' && type !== 'Tag Push Hook') return { kind: 'ignore', reason: `event ${type} is not a push` };
  const p = parsePayload(GitlabPayload, payloadOf(req));
  if (p.object_kind !== 'push' && p.object_kind !== 'tag_push') return { kind: 'ignore', reason: `event ${p.object_kind} is not a push` };
  if (p.after && ZERO_SHA.test(p.after)) return { kind: 'ignore', reason: 'ref deleted' };
  const cloneUrls = urls(
    p.project?.git_http_url,
    p.project?.web_url,
    p.project?.git_ssh_url,
    p.repository?.git_http_url,
    p.repository?.homepage,
    p.repository?.git_ssh_url,
    p.repository?.url,
  );
  if (cloneUrls.length === 0) throw badRequest('Bad webhook payload: project has no clone URL');
  const ref = refOf(p.ref);
  if (!ref) throw badRequest(`Bad webhook payload: ref ${p.ref} is neither a branch nor a tag`);
  return { kind: 'push', cloneUrls, refs: [ref] };
}

const BitbucketPayload = z.object({
  repository: z.object({
    full_name: z.string().nullish(),
    links: z.object({ html: z.object({ href: z.string() }).nullish() }).nullish(),
  }),
  push: z.object({
    changes: z.array(z.object({ new: z.object({ type: z.string(), name: z.string().min(1) }).nullish() })),
  }),
});

function bitbucketEvent(req: WebhookRequest): HookEvent {
  const type = req.headers['x-event-key'];
  if (type && type !== 'repo:push') return { kind: 'ignore', reason: `event ${type} is not a push` };
  const p = parsePayload(BitbucketPayload, payloadOf(req));
  const cloneUrls = urls(p.repository.links?.html?.href, p.repository.full_name ? `https://bitbucket.org/${p.repository.full_name}` : null);
  if (cloneUrls.length === 0) throw badRequest('Bad webhook payload: repository has no URL');
  const refs: PushRef[] = [];
  for (const c of p.push.changes) {
    if (!c.new) continue; // a deleted branch or tag
    if (c.new.type === 'branch' || c.new.type === 'tag') refs.push({ kind: c.new.type, name: c.new.name });
  }
  return refs.length > 0 ? { kind: 'push', cloneUrls, refs } : { kind: 'ignore', reason: 'no branch or tag pushed' };
}

const PagurePayload = z.object({
  topic: z.string(),
  msg: z.object({
    branch: z.string().min(1).optional(),
    pagure_instance: z.string().optional(),
    repo: z.object({ fullname: z.string().min(1), url_path: z.string().optional() }),
  }),
});

function pagureEvent(req: WebhookRequest): HookEvent {
  const raw = payloadOf(req);
  const topic = (raw as { topic?: unknown } | null)?.topic;
  if (typeof topic === 'string' && !topic.endsWith('git.receive')) return { kind: 'ignore', reason: `topic ${topic} is not a push` };
  const p = parsePayload(PagurePayload, raw);
  if (!p.msg.branch) throw badRequest('Bad webhook payload: msg.branch: Required');
  const instance = (p.msg.pagure_instance ?? 'https://pagure.io/').replace(/\/*$/, '/');
  const cloneUrls = urls(`${instance}${p.msg.repo.fullname}`, p.msg.repo.url_path ? `${instance}${p.msg.repo.url_path.replace(/^\//, '')}` : null);
  return { kind: 'push', cloneUrls, refs: [{ kind: 'branch', name: p.msg.branch }] };
}

export function parseHookEvent(req: WebhookRequest): HookEvent {
  switch (req.forge) {
    case 'github':
      return githubEvent(req);
    case 'gitlab':
      return gitlabEvent(req);
    case 'bitbucket':
      return bitbucketEvent(req);
    case 'pagure':
      return pagureEvent(req);
    case 'custom':
      // The custom webhook names its package in the path; the body is free form.
      return { kind: 'push', cloneUrls: [], refs: [] };
  }
}

// ---- matching -------------------------------------------------------------------------

/**
 * A clone URL reduced to `host/path`: scheme, user info, `.git` and trailing
 * slashes dropped, host lower-cased, scp-like `git@host:path` understood, so the
 * URLs a forge reports match the one the package was configured with.
 */
export function normaliseCloneUrl(url: string): string {
  let u = url.trim();
  const scp = /^(?:[^@/]+@)?([^:/]+):(?!\/\/)(.+)$/.exec(u);
  if (scp && !/^[a-z][a-z0-9+.-]*:\/\//i.test(u)) u = `ssh://${scp[1]}/${scp[2]}`;
  const m = /^[a-z][a-z0-9+.-]*:\/\/(?:[^@/]*@)?([^/:]+)(?::\d+)?(\/.*)?$/i.exec(u);
  let host = '';
  let path = u;
  if (m) {
    host = m[1]!.toLowerCase();
    path = m[2] ?? '';
  }
  path = path.replace(/\/+$/, '').replace(/\.git$/, '').replace(/\/+$/, '');
  return `${host}${path.startsWith('/') || host === '' ? '' : '/'}${path}`;
}

/** Copr's rule for tags named `<name>-<version>-<release>` (tito): only that package builds. */
function tagBelongsTo(tag: string, pkg: Package): boolean {
  const m = /^(.*)-[^-]+-[^-]+$/.exec(tag);
  return !m || m[1] === pkg.name;
}

function refMatches(pkg: Package, ref: PushRef): boolean {
  if (ref.kind === 'tag') return tagBelongsTo(ref.name, pkg);
  const committish = String(pkg.source_dict.committish ?? '');
  // No committish: the package follows the default branch, which a push payload
  // cannot name reliably; Copr rebuilds on any branch push then, and so do we.
  return committish === '' || committish === ref.name || committish === `refs/heads/${ref.name}`;
}

export interface RebuildPlan {
  pkg: Package;
  source_dict: Record<string, unknown>;
}

/** Packages a push rebuilds, each with the source to build (tags pin the committish). */
export function packagesForPush(pkgs: Package[], event: Extract<HookEvent, { kind: 'push' }>, only?: string): RebuildPlan[] {
  const pushed = new Set(event.cloneUrls.map(normaliseCloneUrl));
  const plans: RebuildPlan[] = [];
  for (const pkg of pkgs) {
    if (only !== undefined && pkg.name !== only) continue;
    if (pkg.source_type !== 'scm' || !pkg.auto_rebuild) continue;
    const clone = pkg.source_dict.clone_url;
    if (typeof clone !== 'string' || !pushed.has(normaliseCloneUrl(clone))) continue;
    const ref = event.refs.find((r) => refMatches(pkg, r));
    if (!ref) continue;
    plans.push({ pkg, source_dict: ref.kind === 'tag' ? { ...pkg.source_dict, committish: ref.name } : pkg.source_dict });
  }
  return plans;
}

// ---- the whole request ------------------------------------------------------------------

export async function findWebhookProject(deps: Pick<BuildDeps, 'store'>, coprId: string): Promise<Project> {
  if (!/^\d{1,12}$/.test(coprId)) throw notFound(`Project ${coprId} does not exist.`);
  const project = await deps.store.getProjectById(Number(coprId));
  if (!project) throw notFound(`Project ${coprId} does not exist.`);
  return project;
}

async function submitFor(deps: WebhookDeps, project: Project, plan: RebuildPlan): Promise<Build> {
  return submitBuild(deps, null, {
    ownername: project.ownername,
    projectname: project.name,
    source_type: plan.pkg.source_type,
    source_dict: plan.source_dict,
    package_name: plan.pkg.name,
    options: plan.pkg.timeout !== null ? { timeout: plan.pkg.timeout } : {},
    denylist: plan.pkg.chroot_denylist,
  });
}

/** Largest custom webhook body passed on to the build (it travels in the build record). */
export const MAX_HOOK_PAYLOAD = 64 * 1024;

export async function handleWebhook(deps: WebhookDeps, req: WebhookRequest): Promise<WebhookOutcome> {
  const project = await findWebhookProject(deps, req.coprId);
  verifySecret(project, req);
  if (req.forge === 'custom') {
    const name = req.packageName ?? '';
    const pkg = await deps.store.getPackage(project.ownername, project.name, name);
    if (!pkg) throw notFound(`No package with name ${name} in copr ${project.name}`);
    if (pkg.source_type === 'unset') throw badRequest(`Package ${name} has no source to build`);
    // Custom-script packages get the request body as `hook_payload` in the script's
    // working directory (as Copr does), so the script can act on what was pushed.
    let source_dict = pkg.source_dict;
    if (pkg.source_type === 'custom' && req.body.length > 0) {
      if (req.body.length > MAX_HOOK_PAYLOAD) throw badRequest(`The webhook payload is larger than ${MAX_HOOK_PAYLOAD} bytes`);
      source_dict = { ...pkg.source_dict, hook_data: req.body.toString('utf8') };
    }
    return { builds: [await submitFor(deps, project, { pkg, source_dict })] };
  }
  const event = parseHookEvent(req);
  if (event.kind === 'ignore') return { builds: [], ignored: event.reason };
  const plans = packagesForPush(await deps.store.listPackages(project.ownername, project.name), event, req.packageName);
  if (plans.length === 0) return { builds: [], ignored: 'no package with webhook rebuild matches this repository and ref' };
  const builds: Build[] = [];
  for (const plan of plans) builds.push(await submitFor(deps, project, plan));
  return { builds };
}
