import * as z from 'zod';
import { badRequest } from '../../core/errors.js';
import {
  buildConfigOf,
  editProjectChroot,
  loadProjectChroot,
  MAX_COMPS_BYTES,
  type ChrootEdit,
} from '../../core/project-chroots.js';
import type { AppContext } from '../context.js';
import { multipartBody, requiredQuery, zBool, zStringList } from '../input.js';
import type { AuthedRequest, Route, RouteRequest } from '../router.js';
import { projectChrootToApi } from '../serialize.js';

/** Project-chroot endpoints (spec §2.3); edit is always multipart (`json` part last). */

const URLISH = z.string().max(2048).regex(/^(https?|copr):\/\/\S+$/, 'Invalid URL (http://, https:// or copr://)');
/** Buildroot package specs: names, `@group`, `pkgconfig(foo)`, `/usr/bin/x`, globs. */
const PACKAGE_SPEC = z.string().max(200).regex(/^[\w.+\-:()/<>=~*@]+$/, 'Invalid package name');
const RPMBUILD_OPT = z.string().max(100).regex(/^[\w.+-]+$/, 'Invalid rpmbuild option');
const MODULE = z.string().max(200).regex(/^!?[\w.+-]+:[\w.+-]+$/, 'Expected name:stream or !name:stream');

/** Modules come comma-separated from copr-cli (`"a:1, !b:2"`), or as a list. */
const zModuleList = z.union([
  z.array(z.string().max(200)).max(200),
  z.string().max(65536).transform((s) => s.split(',').map((x) => x.trim()).filter((x) => x.length > 0)),
]);

const EditBody = z.object({
  additional_packages: zStringList.pipe(z.array(PACKAGE_SPEC).max(500)).optional(),
  additional_repos: zStringList.pipe(z.array(URLISH).max(100)).optional(),
  additional_modules: zModuleList.pipe(z.array(MODULE)).optional(),
  with_opts: zStringList.pipe(z.array(RPMBUILD_OPT).max(100)).optional(),
  without_opts: zStringList.pipe(z.array(RPMBUILD_OPT).max(100)).optional(),
  bootstrap: z.enum(['unchanged', 'default', 'off', 'on', 'image', 'custom_image']).optional(),
  bootstrap_image: z.string().max(255).regex(/^\w[\w./:@+-]*$/, 'Expected <name>[:<tag>]').optional(),
  isolation: z.enum(['unchanged', 'default', 'nspawn', 'simple']).optional(),
  delete_comps: zBool.optional(),
  reset_fields: zStringList.pipe(z.array(z.string().max(100)).max(50)).optional(),
});

async function getProjectChroot(req: RouteRequest, ctx: AppContext) {
  const { chroot } = await loadProjectChroot(
    ctx.store,
    requiredQuery(req, 'ownername'),
    requiredQuery(req, 'projectname'),
    requiredQuery(req, 'chrootname'),
  );
  return projectChrootToApi(chroot);
}

async function getBuildConfig(req: RouteRequest, ctx: AppContext) {
  return buildConfigOf(
    ctx.store,
    ctx.config.RESULTS_BASE_URL,
    requiredQuery(req, 'ownername'),
    requiredQuery(req, 'projectname'),
    requiredQuery(req, 'chrootname'),
  );
}

async function editChroot(req: AuthedRequest, ctx: AppContext) {
  const { json, files } = await multipartBody(req, { maxFileBytes: MAX_COMPS_BYTES, maxFiles: 1 });
  const body = EditBody.parse(json);
  const edit: ChrootEdit = { ...body };
  for (const f of files) {
    if (f.field !== 'upload_comps') throw badRequest(`Unexpected file part ${f.field}`);
    edit.comps = { name: f.filename, content: f.data.toString('utf8') };
  }
  const chroot = await editProjectChroot(
    ctx.store,
    req.caller,
    req.params.ownername!,
    req.params.projectname!,
    req.params.chrootname!,
    edit,
  );
  return projectChrootToApi(chroot);
}

export const projectChrootRoutes: Route[] = [
  { method: 'GET', path: '/api_3/project-chroot', handler: getProjectChroot },
  { method: 'GET', path: '/api_3/project-chroot/build-config', handler: getBuildConfig },
  { method: 'PUT', path: '/api_3/project-chroot/edit/{ownername}/{projectname}/{chrootname}', auth: true, handler: editChroot },
];
