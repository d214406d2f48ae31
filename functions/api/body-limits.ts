import type { AppContext } from './context.js';
import type { RouteRequest } from './router.js';

/**
 * How much request body a route may read, decided from the route before any byte
 * of the body is read (the local server streams bodies: functions/local/request-intake.ts).
 * API Gateway caps bodies on AWS; these limits are what the local server enforces,
 * and what the handlers check again on the buffered Lambda path.
 */

/** Every route without its own policy: JSON bodies of at most 1 MiB. */
export const MAX_JSON_BODY = 1024 * 1024;

/** Multipart framing (boundaries, part headers) allowed on top of the file size limit. */
export const MULTIPART_OVERHEAD = 64 * 1024;

export interface MultipartLimits {
  /** Size limit of each file part. */
  maxFileBytes: number;
  /** File parts besides the `json` part. */
  maxFiles: number;
}

export interface BodyPolicy {
  /** Raw body limit; default MAX_JSON_BODY (multipart routes: the file limit plus framing). */
  maxBytes?: number;
  /** Raw bodies (result files) stream to a staging file as they arrive, never buffered. */
  toFile?: boolean;
  /** Multipart routes: file parts stream to disk as they arrive, never buffered. */
  multipart?: MultipartLimits;
  /**
   * Checks that need only the path and headers (a builder's credential), run before
   * the body is read, so a caller without them never gets to send a large body.
   */
  precheck?: (req: RouteRequest, ctx: AppContext) => Promise<void>;
}

export function maxBodyBytes(policy: BodyPolicy | undefined): number {
  if (policy?.maxBytes !== undefined) return policy.maxBytes;
  if (policy?.multipart) return policy.multipart.maxFiles * policy.multipart.maxFileBytes + MAX_JSON_BODY + MULTIPART_OVERHEAD;
  return MAX_JSON_BODY;
}
