import { assertNameLength, type NameKind } from '../core/names.js';
import type { ApiRequest } from './request.js';

/**
 * Names in paths and query strings, checked against Copr's lengths as soon as the
 * route is known and before anything (authentication included) reads the store:
 * an over-long name answers 400 in Copr's shape, for anonymous readers too.
 * JSON bodies are checked by each route's zod schema and by the core loaders.
 */
const KIND_OF: Record<string, NameKind> = {
  ownername: 'owner',
  owner: 'owner',
  projectname: 'project',
  project_dirname: 'dirname',
  dirname: 'dirname',
  package_name: 'package',
  packagename: 'package',
  chrootname: 'chroot',
  username: 'user',
  group: 'user',
};

export function assertRequestNames(req: Pick<ApiRequest, 'query'>, params: Record<string, string>): void {
  for (const [key, value] of Object.entries(params)) {
    const kind = KIND_OF[key];
    if (kind) assertNameLength(key, kind, value);
  }
  for (const [key, values] of req.query) {
    const kind = KIND_OF[key];
    if (kind) for (const v of values) assertNameLength(key, kind, v);
  }
}
