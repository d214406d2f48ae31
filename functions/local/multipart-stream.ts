import busboy from 'busboy';
import { randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import type { IncomingMessage } from 'node:http';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { MAX_JSON_BODY, type MultipartLimits } from '../api/body-limits.js';
import { parseJsonObject, type MultipartBody, type UploadedFile } from '../api/input.js';
import { badRequest, CoprError, serverError } from '../core/errors.js';
import type { Logger } from '../core/ports.js';

/**
 * Reads a multipart body as it arrives: file parts go straight to files in the
 * staging dir (never into memory), the `json` part is collected up to 1 MiB. Every
 * stream involved has an error handler: a body cut off inside a part, a client that
 * goes away, a malformed boundary or a full disk each end as one CoprError, never
 * as an unhandled 'error' event. Limits are enforced while streaming: the request
 * stops being read at the first byte over a limit.
 */
export interface StreamedUpload {
  /** Resolves with the parsed body, or rejects with a CoprError (400, 413, 500). */
  body: Promise<MultipartBody>;
  /** Removes every staging file this request created (call it after the handler ran). */
  cleanup(): Promise<void>;
}

/** `log` hears of the server's own failures (a full disk), which the client sees only as a 500. */
export function streamMultipart(req: IncomingMessage, limits: MultipartLimits, stagingDir: string, maxBytes: number, log: Logger): StreamedUpload {
  const created: string[] = [];
  const cleanup = async () => {
    await Promise.all(created.map((p) => rm(p, { force: true })));
  };
  const body = new Promise<MultipartBody>((resolve, reject) => {
    let bb: busboy.Busboy;
    try {
      bb = busboy({
        headers: req.headers,
        limits: { fileSize: limits.maxFileBytes, files: limits.maxFiles + 1, fields: 20, fieldSize: MAX_JSON_BODY, parts: limits.maxFiles + 21 },
      });
    } catch {
      reject(badRequest('Malformed multipart request'));
      return;
    }
    let settled = false;
    const writes: Array<Promise<void>> = [];
    const open: Array<{ part: Readable; out: NodeJS.WritableStream & { destroy(): void } }> = [];
    const files: UploadedFile[] = [];
    let jsonText: string | null = null;
    let received = 0;

    const fail = (err: CoprError) => {
      if (settled) return;
      settled = true;
      // Stop reading: the rest of the body is never looked at.
      req.unpipe(bb);
      req.off('data', count);
      bb.removeAllListeners('file');
      bb.on('error', () => {}); // late errors of an abandoned parser are expected
      for (const o of open) {
        o.part.on('error', () => {});
        o.part.destroy();
        o.out.destroy();
      }
      reject(err);
    };
    const count = (chunk: Buffer) => {
      received += chunk.length;
      if (received > maxBytes) fail(new CoprError('payload-too-large', `Request body larger than ${maxBytes} bytes`));
    };

    bb.on('file', (field: string, stream: Readable, info: busboy.FileInfo) => {
      stream.on('error', () => fail(badRequest('Malformed multipart request: the body ended inside a part')));
      stream.on('limit', () => fail(new CoprError('payload-too-large', `File ${info.filename ?? field} is too large`)));
      if (field === 'json') {
        const chunks: Buffer[] = [];
        let size = 0;
        stream.on('data', (c: Buffer) => {
          size += c.length;
          if (size > MAX_JSON_BODY) return fail(new CoprError('payload-too-large', 'The json part is too large'));
          chunks.push(c);
        });
        stream.on('end', () => {
          jsonText = Buffer.concat(chunks).toString('utf8');
        });
        return;
      }
      const path = join(stagingDir, randomUUID());
      created.push(path);
      const out = createWriteStream(path, { mode: 0o600 });
      open.push({ part: stream, out });
      let size = 0;
      stream.on('data', (c: Buffer) => {
        size += c.length;
      });
      writes.push(
        pipeline(stream, out).then(
          () => {
            if (!(stream as Readable & { truncated?: boolean }).truncated) {
              files.push({ field, filename: info.filename ?? '', contentType: info.mimeType, size, path });
            }
          },
          (err: NodeJS.ErrnoException) => {
            // The part stream's own errors are handled above; a write error is ours (disk full).
            if (err.syscall !== undefined) {
              log.error(`upload: cannot write the staging file: ${err.code ?? err.message}`);
              fail(serverError('Could not store the uploaded file'));
            } else {
              fail(badRequest('Malformed multipart request: the body ended inside a part'));
            }
          },
        ),
      );
    });
    bb.on('field', (field: string, value: string) => {
      if (field === 'json') jsonText = value;
    });
    bb.on('filesLimit', () => fail(badRequest('Too many files')));
    bb.on('partsLimit', () => fail(badRequest('Too many parts')));
    bb.on('fieldsLimit', () => fail(badRequest('Too many fields')));
    bb.on('error', () => fail(badRequest('Malformed multipart request')));
    bb.on('close', () => {
      void Promise.all(writes).then(() => {
        if (settled) return;
        try {
          const json = jsonText === null ? {} : parseJsonObject(jsonText);
          settled = true;
          resolve({ json, files });
        } catch (e) {
          fail(e instanceof CoprError ? e : badRequest('Malformed multipart request'));
        }
      });
    });
    req.on('aborted', () => fail(badRequest('The client went away during the upload')));
    req.on('error', () => fail(badRequest('The client went away during the upload')));
    req.on('data', count);
    req.pipe(bb);
  });
  return { body, cleanup };
}
