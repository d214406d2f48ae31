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

/**
 * One problem with one input field, as upstream's form validation reports it. `field`
 * is the wire name of the field, or `None` for a problem of the form as a whole.
 */
export interface FieldProblem {
  field: string;
  message: string;
}

/**
 * Upstream's form-error text: one `<field>: <message>` line per problem, joined with
 * newlines (python-copr prints two or more as a `- ` bullet list under `Error:`).
 */
export function formErrorText(problems: FieldProblem[]): string {
  return problems.map((p) => `${p.field}: ${p.message}`).join('\n');
}

/** A 400 for invalid input, per field; the API renders it with formErrorText. */
export class FormError extends CoprError {
  constructor(readonly problems: FieldProblem[]) {
    super('bad-request', formErrorText(problems));
    this.name = 'FormError';
  }
}

export const fieldError = (field: string, message: string) => new FormError([{ field, message }]);

/** wtforms' wording for values outside a choice list (one value, or several). */
export function notValidChoice(values: string[]): string {
  const quoted = values.map((v) => `'${v}'`).join(', ');
  return values.length === 1 ? `${quoted} is not a valid choice for this field.` : `${quoted} are not valid choices for this field.`;
}

export function isCoprError(e: unknown): e is CoprError {
  return e instanceof CoprError;
}
