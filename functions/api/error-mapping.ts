import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { ZodError } from 'zod';
import { formErrorText, isCoprError, type ErrorKind } from '../core/errors.js';
import { jsonLogger } from '../adapters/json-logger.js';
import { AlreadyExists, NotFoundInStore, type LogFields, type Logger } from '../core/ports.js';
import { jsonResult } from './responses.js';
import { zodFieldProblems } from './zod-field-errors.js';

/**
 * The one place where errors become HTTP responses, in Copr's JSON error shape
 * (`{"error": "..."}`; the client decides on the presence of `error`). Client errors
 * expose their message; anything unexpected becomes a generic 500 and is logged
 * without request data (which may hold credentials).
 */
const STATUS: Record<ErrorKind, number> = {
  'bad-request': 400,
  unauthorized: 401,
  forbidden: 403,
  'not-found': 404,
  conflict: 409,
  'method-not-allowed': 405,
  'payload-too-large': 413,
  'server-error': 500,
};

/**
 * zod issues → upstream form-error lines `<field>: <message>`, the same text a
 * domain FormError carries (both go through formErrorText).
 */
export function formatZodError(err: ZodError): string {
  return formErrorText(zodFieldProblems(err));
}

/** For callers without the composed App's logger (a request refused before routing). */
const fallbackLog = jsonLogger({ component: 'api' });

/**
 * `log` gets the unexpected ones with `fields` (the route, a build or task id: never
 * request data, which may hold credentials).
 */
export function errorToResult(err: unknown, log: Logger['error'] = fallbackLog.error, fields: LogFields = {}): APIGatewayProxyStructuredResultV2 {
  if (isCoprError(err)) return jsonResult(STATUS[err.kind], { output: 'notok', error: err.message });
  if (err instanceof ZodError) return jsonResult(400, { output: 'notok', error: formatZodError(err) });
  // Store-level races that slipped past the domain checks are still client conflicts.
  if (err instanceof AlreadyExists) return jsonResult(409, { output: 'notok', error: err.message });
  if (err instanceof NotFoundInStore) return jsonResult(404, { output: 'notok', error: err.message });
  log(`unhandled error: ${(err as Error)?.stack ?? String(err)}`, fields);
  return jsonResult(500, { output: 'notok', error: 'Internal server error' });
}
