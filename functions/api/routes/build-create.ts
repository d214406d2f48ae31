import { uploadPrefix } from '../../core/uploads.js';
import * as z from 'zod';
import type { Build } from '../../core/build-model.js';
import type { BuildOptions } from '../../core/builds.js';
import { badRequest, notFound } from '../../core/errors.js';
import { normaliseSource, type PackageSourceType } from '../../core/sources.js';
import { activeChrootNames } from '../../core/usable-chroots.js';
import { buildToApi } from '../build-serialize.js';
import type { AppContext } from '../context.js';
import { jsonBody, multipartBody, zBool, zIntLike, zStringList } from '../input.js';
import type { AuthedRequest, Route } from '../router.js';
import { checkInlineUploadSize, newUploadKey, parseUploadId } from '../uploads.js';

/**
 * Submitting builds (spec §2.4): check-before-build, create/{url,upload,scm,pypi,
 * rubygems,custom,distgit}, package/build and resubmit; create/rpm-upload is in
 * build-rpm-upload.ts. Every endpoint validates
 * the whole request before anything is written or stored.
 */

const NAME = z.string().min(1).max(200);
const CHROOT_PATTERNS = zStringList.pipe(z.array(z.string().min(1).max(100)).max(500));
const BUILD_ID = zIntLike.pipe(z.number().int().positive());

/** Common build options; unknown keys (`progress_callback`) are dropped by zod. */
export const OptionsBody = z.object({
  ownername: NAME,
  projectname: NAME,
  project_dirname: z.string().max(300).optional(),
  chroots: CHROOT_PATTERNS.optional(),
  exclude_chroots: CHROOT_PATTERNS.optional(),
  // copr-cli sends the timeout as a string ("3600"); the range is checked by the core.
  timeout: zIntLike.optional(),
  background: zBool.optional(),
  enable_net: zBool.optional(),
  bootstrap: z.enum(['unchanged', 'default', 'on', 'off', 'image']).optional(),
  isolation: z.enum(['unchanged', 'default', 'nspawn', 'simple']).optional(),
  after_build_id: BUILD_ID.optional(),
  with_build_id: BUILD_ID.optional(),
});
export type OptionsBody = z.infer<typeof OptionsBody>;

export function optionsOf(b: Partial<OptionsBody>): BuildOptions {
  const o: BuildOptions = {
    project_dirname: b.project_dirname,
    chroots: b.chroots,
    exclude_chroots: b.exclude_chroots,
    timeout: b.timeout,
    background: b.background,
    enable_net: b.enable_net,
    bootstrap: b.bootstrap,
    isolation: b.isolation,
    after_build_id: b.after_build_id,
    with_build_id: b.with_build_id,
  };
  for (const k of Object.keys(o) as (keyof BuildOptions)[]) if (o[k] === undefined) delete o[k];
  return o;
}

export async function buildView(ctx: AppContext, build: Build) {
  const chroots = await ctx.app.ports.builds.listBuildChroots(build.id);
  return buildToApi(ctx.config.RESULTS_BASE_URL, build, chroots);
}

const SRPM_FILE = /\.(src\.rpm|nosrc\.rpm|spec)$/;

function isSrpmUrl(s: string): boolean {
  if (/\s/.test(s)) return false;
  try {
    const u = new URL(s);
    return (u.protocol === 'http:' || u.protocol === 'https:') && u.hostname !== '' && SRPM_FILE.test(u.pathname);
  } catch {
    return false;
  }
}

const UrlBody = OptionsBody.extend({
  pkgs: zStringList
    .pipe(z.array(z.string().max(2048).refine(isSrpmUrl, 'Invalid URL: http(s) and ending in .src.rpm, .nosrc.rpm or .spec')).max(100))
    .refine((l) => l.length > 0, 'This field is required.'),
});

/** One uploaded file name: a plain basename, safe characters, an SRPM or spec suffix. */
export function isSafeUploadName(name: string): boolean {
  return name.length <= 255 && /^[A-Za-z0-9_+][A-Za-z0-9._+~-]*$/.test(name) && SRPM_FILE.test(name) && !/^\.(src\.rpm|nosrc\.rpm|spec)$/.test(name);
}

async function checkBeforeBuild(req: AuthedRequest, ctx: AppContext) {
  const body = OptionsBody.parse(jsonBody(req));
  await ctx.app.builds.check(req.caller, body.ownername, body.projectname, optionsOf(body));
  return { message: 'It should be safe to submit a build like this' };
}

/** One build per URL, answered as a list (the client takes element 0). */
async function createFromUrl(req: AuthedRequest, ctx: AppContext) {
  const body = UrlBody.parse(jsonBody(req));
  const checked = await ctx.app.builds.check(req.caller, body.ownername, body.projectname, optionsOf(body));
  const items = [];
  for (const url of body.pkgs) {
    const build = await ctx.app.builds.submit(checked, { source_type: 'link', source_dict: { url } });
    items.push(await buildView(ctx, build));
  }
  return { items, meta: { limit: null, offset: null, order: null, order_type: null } };
}

/** Upstream's file-size cap is the web server's; ours is explicit (config MAX_UPLOAD_BYTES, lower on Lambda). */
export const DEFAULT_MAX_UPLOAD_BYTES = 2 * 1024 ** 3;

function createFromUpload(maxUploadBytes: number | undefined) {
  return async (req: AuthedRequest, ctx: AppContext) => {
    const limit = Math.min(maxUploadBytes ?? DEFAULT_MAX_UPLOAD_BYTES, ctx.config.MAX_UPLOAD_BYTES);
    checkInlineUploadSize(req.body.length, req.headers['content-length'], limit, ctx.config.FRONTEND_URL);
    const form = await multipartBody(req, { maxFileBytes: limit, maxFiles: 1 });
    const body = OptionsBody.parse(form.json);
    const file = form.files.find((f) => f.field === 'pkgs');
    if (!file) throw badRequest('pkgs: This field is required.');
    if (!isSafeUploadName(file.filename)) {
      throw badRequest(`pkgs: Invalid file name '${file.filename}' (a plain .src.rpm, .nosrc.rpm or .spec file name)`);
    }
    const checked = await ctx.app.builds.check(req.caller, body.ownername, body.projectname, optionsOf(body));
    const { key, tmp } = newUploadKey(file.filename);
    if (file.path !== undefined) await ctx.app.ports.results.putFile(key, file.path);
    else await ctx.app.ports.results.put(key, file.data);
    try {
      const dict = { url: `${ctx.app.settings.resultsBaseUrl}/${key}`, pkg: file.filename, tmp };
      return await buildView(ctx, await ctx.app.builds.submit(checked, { source_type: 'upload', source_dict: dict }));
    } catch (err) {
      await ctx.app.ports.results.deletePrefix(uploadPrefix(tmp));
      throw err;
    }
  };
}

const SlotBody = z.object({
  ownername: NAME,
  projectname: NAME,
  filename: z.string().refine(isSafeUploadName, 'Invalid file name (a plain .src.rpm, .nosrc.rpm or .spec file name)'),
});

/**
 * An upload slot for an SRPM too large to send inline: a presigned PUT straight
 * to storage, then `build/create/uploaded` with the slot id. Only where the
 * results store takes direct uploads (S3); locally the inline limit is 2 GiB.
 */
async function uploadSlot(req: AuthedRequest, ctx: AppContext) {
  const body = SlotBody.parse(jsonBody(req));
  // Who may build comes first: a refused caller learns nothing about this server's upload paths.
  await ctx.app.builds.check(req.caller, body.ownername, body.projectname, {});
  const results = ctx.app.ports.results;
  if (results.directUploadTarget === undefined) {
    throw badRequest('This server takes uploads inline only (build/create/upload)');
  }
  const { key, uploadId } = newUploadKey(body.filename);
  const target = await results.directUploadTarget(key);
  return { upload_id: uploadId, url: target.url, method: target.method, headers: target.headers };
}

const UploadedBody = OptionsBody.extend({ upload_id: z.string().max(400) });

/** A build from an SRPM uploaded into a slot (see uploadSlot). */
async function createFromUploaded(req: AuthedRequest, ctx: AppContext) {
  const body = UploadedBody.parse(jsonBody(req));
  const slot = parseUploadId(body.upload_id);
  if (slot === null || !isSafeUploadName(slot.filename)) throw badRequest('upload_id: Invalid upload slot');
  const checked = await ctx.app.builds.check(req.caller, body.ownername, body.projectname, optionsOf(body));
  if (!(await ctx.app.ports.results.exists(slot.key))) {
    throw badRequest('upload_id: Nothing was uploaded into this slot (or it expired)');
  }
  const dict = { url: `${ctx.app.settings.resultsBaseUrl}/${slot.key}`, pkg: slot.filename, tmp: slot.tmp };
  return buildView(ctx, await ctx.app.builds.submit(checked, { source_type: 'upload', source_dict: dict }));
}

function createFromSource(type: PackageSourceType) {
  return async (req: AuthedRequest, ctx: AppContext) => {
    const raw = jsonBody(req);
    const body = OptionsBody.parse(raw);
    const checked = await ctx.app.builds.check(req.caller, body.ownername, body.projectname, optionsOf(body));
    const dict = normaliseSource(type, raw, {
      activeChroots: [...(await activeChrootNames(ctx.store))],
      distgitInstances: ctx.config.DISTGIT_INSTANCES,
    });
    return buildView(ctx, await ctx.app.builds.submit(checked, { source_type: type, source_dict: dict }));
  };
}

const PackageBuildBody = OptionsBody.extend({ package_name: NAME });

/** Rebuild from the package's stored source (functions/core/build-resubmit.ts). */
async function buildPackage(req: AuthedRequest, ctx: AppContext) {
  const body = PackageBuildBody.parse(jsonBody(req));
  return buildView(ctx, await ctx.app.builds.rebuildPackage(req.caller, body.ownername, body.projectname, body.package_name, optionsOf(body)));
}

const ResubmitBody = OptionsBody.partial();

/** A new build from the same source and options; body keys override (dashboard, copr-cli resubmit). */
async function resubmit(req: AuthedRequest, ctx: AppContext) {
  const overrides = optionsOf(ResubmitBody.parse(jsonBody(req)));
  return buildView(ctx, await ctx.app.builds.resubmit(req.caller, parseBuildId(req.params.id!), overrides));
}

/** Build ids in paths and queries: a positive integer, else the build cannot exist (404 as upstream's int routes). */
export function parseBuildId(raw: string): number {
  if (!/^\d{1,12}$/.test(raw) || Number(raw) <= 0) throw notFound(`Build ${raw} does not exist.`);
  return Number(raw);
}

export function buildCreateRoutes(opts: { maxUploadBytes?: number } = {}): Route[] {
  const maxUpload = opts.maxUploadBytes ?? DEFAULT_MAX_UPLOAD_BYTES;
  const create = (source: string, handler: Route['handler']): Route => ({
    method: 'POST',
    path: `/api_3/build/create/${source}`,
    auth: true,
    handler,
  });
  return [
    { method: 'POST', path: '/api_3/build/check-before-build', auth: true, handler: checkBeforeBuild },
    create('url', createFromUrl),
    {
      ...create('upload', createFromUpload(maxUpload)),
      body: { multipart: { maxFileBytes: maxUpload, maxFiles: 1 } },
    },
    create('uploaded', createFromUploaded),
    { method: 'POST', path: '/api_3/build/upload-slot', auth: true, handler: uploadSlot },
    create('scm', createFromSource('scm')),
    create('pypi', createFromSource('pypi')),
    create('rubygems', createFromSource('rubygems')),
    create('custom', createFromSource('custom')),
    create('distgit', createFromSource('distgit')),
    { method: 'POST', path: '/api_3/package/build', auth: true, handler: buildPackage },
    { method: 'POST', path: '/api_3/build/resubmit/{id}', auth: true, handler: resubmit },
  ];
}
