import { randomUUID } from 'node:crypto';
import { CoprError } from '../core/errors.js';
import type { ResultsStore } from '../core/results-store.js';

/**
 * SRPM uploads. Small ones come inline (multipart `build/create/upload`, what
 * copr-cli sends); on AWS a request passes API Gateway and Lambda, which take at
 * most 6 MB per invocation, base64-encoded, so the inline limit there is
 * INLINE_UPLOAD_LIMIT_BYTES. Larger ones go straight to storage: the dashboard
 * asks for an upload slot (a presigned PUT), uploads, then builds from the slot
 * (`build/create/uploaded`). Uploaded files live under UPLOADS_PREFIX, are never
 * served by the results CDN (builders get a presigned GET) and expire.
 */
export const UPLOADS_PREFIX = '_uploads/';

/**
 * Body bytes of an inline upload on AWS: 6 MiB of Lambda payload is 4.5 MiB once
 * base64 takes its third, less the event envelope (headers, request context).
 */
export const INLINE_UPLOAD_LIMIT_BYTES = 4 * 1024 * 1024;

/** 4194304 → "4 MiB", 4096 → "4 KiB", 1500 → "1500 bytes". */
function sizeText(n: number): string {
  if (n % (1024 * 1024) === 0) return `${n / 1024 / 1024} MiB`;
  if (n % 1024 === 0) return `${n / 1024} KiB`;
  return `${n} bytes`;
}

/**
 * The 413 message: what the limit is and the ways past it. The edge (CloudFront)
 * gives it without the URL, which is not known before the distribution exists.
 */
export function uploadTooLargeMessage(limitBytes: number, frontendUrl?: string): string {
  const ui = frontendUrl === undefined ? 'the web UI' : `the web UI (${frontendUrl}/)`;
  return (
    `The upload is larger than this server's limit of ${sizeText(limitBytes)} for SRPMs sent through the API ` +
    `(copr-cli build PROJECT file.src.rpm). Upload larger SRPMs in ${ui}: project > New build > Upload ` +
    `sends the file directly to storage. Or put the SRPM at a public URL and run ` +
    `copr-cli build PROJECT https://.../file.src.rpm.`
  );
}

/**
 * The 413 of a binary RPM upload (copr-cli uploadrpm): it has no upload slot, so the
 * limit is the way.
 */
export function rpmUploadTooLargeMessage(limitBytes: number): string {
  return `The upload is larger than this server's limit of ${sizeText(limitBytes)} for built RPMs sent through the API (copr-cli uploadrpm).`;
}

/** Refuses an inline upload whose body exceeds the limit, before parsing it (`message`: the SRPM one by default). */
export function checkInlineUploadSize(
  bodyBytes: number,
  contentLength: string | undefined,
  limitBytes: number,
  frontendUrl: string,
  message: (limitBytes: number, frontendUrl: string) => string = uploadTooLargeMessage,
): void {
  const declared = contentLength !== undefined && /^\d+$/.test(contentLength) ? Number(contentLength) : 0;
  if (Math.max(bodyBytes, declared) > limitBytes) {
    throw new CoprError('payload-too-large', message(limitBytes, frontendUrl));
  }
}

/** A fresh slot key: `_uploads/<uuid>/<file name>`; the slot id is the part after the prefix. */
export function newUploadKey(filename: string): { key: string; uploadId: string; tmp: string } {
  const tmp = randomUUID();
  return { key: `${UPLOADS_PREFIX}${tmp}/${filename}`, uploadId: `${tmp}/${filename}`, tmp };
}

const UPLOAD_ID = /^([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\/([^/]+)$/;

/** Parses a slot id (`<uuid>/<file name>`) back; null if it is not one. */
export function parseUploadId(uploadId: string): { key: string; tmp: string; filename: string } | null {
  const m = UPLOAD_ID.exec(uploadId);
  if (!m?.[1] || !m[2]) return null;
  return { key: `${UPLOADS_PREFIX}${uploadId}`, tmp: m[1], filename: m[2] };
}

/**
 * The source URL a builder fetches an uploaded SRPM from. Stores that serve
 * uploads privately (S3) give a presigned GET; the local store serves
 * `_uploads/` itself, so the stored URL stays.
 */
export async function builderSourceUrl(results: ResultsStore, dict: Record<string, unknown>): Promise<string | null> {
  if (results.downloadUrl === undefined || typeof dict.tmp !== 'string' || typeof dict.pkg !== 'string') return null;
  return results.downloadUrl(`${UPLOADS_PREFIX}${dict.tmp}/${dict.pkg}`);
}
