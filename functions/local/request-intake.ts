import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';
import type { ApiHandler } from '../api/app.js';
import { MAX_JSON_BODY, maxBodyBytes } from '../api/body-limits.js';
import type { AppContext } from '../api/context.js';
import { errorToResult } from '../api/error-mapping.js';
import type { MultipartBody } from '../api/input.js';
import { assertRequestNames } from '../api/name-guard.js';
import { requestFromEvent } from '../api/request.js';
import { jsonResult } from '../api/responses.js';
import type { Router } from '../api/router.js';
import { CoprError, serverError, unauthorized } from '../core/errors.js';
import type { Caller } from '../core/model.js';
import type { Logger } from '../core/ports.js';
import { eventFromRequest, writeResult } from './http-bridge.js';
import { streamMultipart } from './multipart-stream.js';

/**
 * One API request on the local server, body last: the route is matched and the
 * caller authenticated from the request line and headers alone; a refused request
 * is answered before a byte of its body is read. Then the body is read under the
 * route's limit (functions/api/body-limits.ts), multipart uploads streamed to the
 * staging dir, and the same API handler as on Lambda runs.
 */
export interface IntakeDeps {
  router: Router;
  ctx: AppContext;
  api: ApiHandler;
  /** Where uploaded files wait for their handler (outside the public results tree). */
  stagingDir: string;
}

const EMPTY = Buffer.alloc(0);

/** Copr's JSON error shape for the last-resort answer. */
export function internalError(): APIGatewayProxyStructuredResultV2 {
  return jsonResult(500, { output: 'notok', error: 'Internal server error' });
}

/** How long a refused request's connection may keep sending before it is cut. */
const LINGER_MS = 2_000;

/**
 * Answers without reading the rest of the body. The connection then half-closes (the
 * client sees the answer, then EOF) and is cut after a short linger: closing at once
 * with unread input would reset it, and a reset can drop the answer on its way.
 * Whatever arrives meanwhile is discarded by Node, never buffered.
 */
function answerEarly(req: IncomingMessage, res: ServerResponse, result: APIGatewayProxyStructuredResultV2): void {
  res.once('finish', () => {
    const socket = req.socket;
    socket.end();
    setTimeout(() => socket.destroy(), LINGER_MS).unref();
  });
  writeResult(res, result, req.method === 'HEAD');
}

function hasBody(req: IncomingMessage): boolean {
  const length = req.headers['content-length'];
  return (length !== undefined && length !== '0') || req.headers['transfer-encoding'] !== undefined;
}

/** Reads at most `limit` bytes; rejects with 413 at the first byte over it and stops reading. */
function readCapped(req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const done = (err: CoprError | null) => {
      req.off('data', onData);
      req.off('end', onEnd);
      if (err) {
        req.pause();
        reject(err);
      } else resolve(Buffer.concat(chunks));
    };
    const onData = (c: Buffer) => {
      size += c.length;
      if (size > limit) return done(new CoprError('payload-too-large', `Request body larger than ${limit} bytes`));
      chunks.push(c);
    };
    const onEnd = () => done(null);
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('aborted', () => done(new CoprError('bad-request', 'The client went away')));
    req.on('error', () => done(new CoprError('bad-request', 'The client went away')));
  });
}

export async function handleApiRequest(req: IncomingMessage, res: ServerResponse, deps: IntakeDeps): Promise<void> {
  const head = eventFromRequest(req, EMPTY);
  const apiReq = requestFromEvent(head);
  const match = deps.router.match(apiReq.method, apiReq.path);
  if (match.kind !== 'found') {
    // 404/405 need no body: answer from the headers alone.
    const result = await deps.api(head);
    return hasBody(req) ? answerEarly(req, res, result) : writeResult(res, result, req.method === 'HEAD');
  }
  const { route, params } = match;
  const log = deps.ctx.app.ports.log;
  const refuse = (err: unknown) => answerEarly(req, res, errorToResult(err, (msg, f) => log.error(msg, f), { method: apiReq.method, route: route.path }));

  // 1. Who is calling, and may they send a body here at all?
  let caller: Caller | null = null;
  try {
    assertRequestNames(apiReq, params);
    try {
      caller = await deps.ctx.auth.authenticate(apiReq);
    } catch (err) {
      if (route.auth) throw err;
    }
    if (route.auth && !caller) throw unauthorized(deps.ctx.config.FRONTEND_URL);
    if (route.body?.precheck) await route.body.precheck({ ...apiReq, params, caller }, deps.ctx);
  } catch (err) {
    return refuse(err);
  }

  // 2. A declared length over the limit is refused unread. An upload route sent
  //    anything but multipart buffers it: that gets the small JSON limit.
  const multipartRoute = route.body?.multipart !== undefined && (req.headers['content-type'] ?? '').toLowerCase().startsWith('multipart/form-data');
  const limit = route.body?.multipart && !multipartRoute ? MAX_JSON_BODY : maxBodyBytes(route.body);
  const declared = Number(req.headers['content-length'] ?? '0');
  if (Number.isFinite(declared) && declared > limit) {
    return refuse(new CoprError('payload-too-large', `Request body larger than ${limit} bytes`));
  }

  // 3. The body, under the limit, streamed to disk for uploads. A client waiting for
  //    `100 Continue` gets it only now, after every check that needs no body.
  if ((req.headers.expect ?? '').toLowerCase() === '100-continue') res.writeContinue();
  let body: Buffer = EMPTY;
  let multipart: MultipartBody | undefined;
  let bodyFile: { path: string; size: number } | undefined;
  let cleanup = async () => {};
  try {
    if (multipartRoute && route.body?.multipart) {
      const upload = streamMultipart(req, route.body.multipart, deps.stagingDir, limit, log);
      cleanup = upload.cleanup;
      try {
        multipart = await upload.body;
      } catch (err) {
        return refuse(err);
      }
    } else if (route.body?.toFile) {
      const upload = streamToFile(req, deps.stagingDir, limit, log);
      cleanup = upload.cleanup;
      try {
        bodyFile = await upload.done;
      } catch (err) {
        return refuse(err);
      }
    } else {
      try {
        body = await readCapped(req, limit);
      } catch (err) {
        return refuse(err);
      }
    }
    // 4. The handler, exactly as on Lambda.
    writeResult(res, await deps.api(eventFromRequest(req, body), { multipart, bodyFile }), req.method === 'HEAD');
  } finally {
    await cleanup();
  }
}

/** Streams a raw body to a new staging file, at most `limit` bytes (413 beyond, reading stops). */
function streamToFile(req: IncomingMessage, stagingDir: string, limit: number, log: Logger): { done: Promise<{ path: string; size: number }>; cleanup(): Promise<void> } {
  const path = join(stagingDir, randomUUID());
  const cleanup = () => rm(path, { force: true });
  const done = new Promise<{ path: string; size: number }>((resolve, reject) => {
    const out = createWriteStream(path, { mode: 0o600 });
    let size = 0;
    let failed = false;
    const fail = (err: CoprError) => {
      if (failed) return;
      failed = true;
      req.unpipe(out);
      req.off('data', onData);
      req.pause();
      out.destroy();
      reject(err);
    };
    const onData = (c: Buffer) => {
      size += c.length;
      if (size > limit) fail(new CoprError('payload-too-large', `Request body larger than ${limit} bytes`));
    };
    out.on('error', (err: NodeJS.ErrnoException) => {
      log.error(`upload: cannot write the staging file: ${err.code ?? err.message}`);
      fail(serverError('Could not store the uploaded file'));
    });
    out.on('finish', () => {
      if (!failed) resolve({ path, size });
    });
    req.on('aborted', () => fail(new CoprError('bad-request', 'The client went away')));
    req.on('error', () => fail(new CoprError('bad-request', 'The client went away')));
    req.on('data', onData);
    req.pipe(out);
  });
  return { done, cleanup };
}
