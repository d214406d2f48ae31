/**
 * Domain errors. The core throws these; the API maps them to HTTP in exactly one
 * place (functions/api/error-mapping.ts). Messages of these errors are shown to the
 * client, so they never contain secrets or internals.
 */
export type ErrorKind =
  | 'bad-request'
  | 'unauthorized'
  | 'forbidden'
  | 'not-found'
  | 'conflict'
  | 'method-not-allowed'
  | 'payload-too-large'
  | 'server-error';

export class CoprError extends Error {
  constructor(
    readonly kind: ErrorKind,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'CoprError';
  }
}

export const badRequest = (msg: string) => new CoprError('bad-request', msg);
export const forbidden = (msg: string) => new CoprError('forbidden', msg);
export const notFound = (msg: string) => new CoprError('not-found', msg);
export const conflict = (msg: string) => new CoprError('conflict', msg);
/** Upstream uses 500 for some user-visible conditions (bad order column, action in progress). */
export const serverError = (msg: string) => new CoprError('server-error', msg);

export const LOGIN_INVALID =
  'Login invalid/expired. Please visit %FRONTEND%/api to get or renew your API token.';
export const unauthorized = (frontendUrl: string) =>
  new CoprError('unauthorized', LOGIN_INVALID.replace('%FRONTEND%', frontendUrl));

export function isCoprError(e: unknown): e is CoprError {
  return e instanceof CoprError;
}
