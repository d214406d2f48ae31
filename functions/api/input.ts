import busboy from 'busboy';
import { readFile } from 'node:fs/promises';
import * as z from 'zod';
import { badRequest, CoprError } from '../core/errors.js';
import { MAX_JSON_BODY, type MultipartLimits } from './body-limits.js';
import type { ApiRequest } from './request.js';

export { MAX_JSON_BODY, type MultipartLimits };

/**
 * Reading request input the way the Copr clients send it: path params repeated in
 * the query, `True`/`False` booleans, JSON bodies whose `null` means "not sent",
 * DELETE with bodies, and multipart with the JSON payload as a *file* part `json`.
 */

export function queryValue(req: ApiRequest, name: string): string | undefined {
  return req.query.get(name)?.[0];
}

export function requiredQuery(req: ApiRequest, name: string): string {
  const v = queryValue(req, name);
  if (v === undefined || v === '') throw badRequest(`Missing argument ${name}`);
  return v;
}

/** Python `requests` sends booleans as `True`/`False`; accept lower case as well. */
export function queryBool(req: ApiRequest, name: string): boolean {
  const v = queryValue(req, name);
  return v === 'True' || v === 'true' || v === '1';
}

/** Parses a JSON object body; empty body → {}; top-level nulls dropped. */
export function jsonBody(req: ApiRequest): Record<string, unknown> {
  if (req.body.length === 0) return {};
  if (req.body.length > MAX_JSON_BODY) throw new CoprError('payload-too-large', 'Request body too large');
  return parseJsonObject(req.body.toString('utf8'));
}

export function parseJsonObject(text: string): Record<string, unknown> {
  if (text.trim() === '') return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw badRequest('Request body is not valid JSON');
  }
  if (parsed === null) return {};
  if (typeof parsed !== 'object' || Array.isArray(parsed)) throw badRequest('Request body must be a JSON object');
  return dropNulls(parsed as Record<string, unknown>);
}

export function dropNulls(obj: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(obj)) if (v !== null && v !== undefined) out[k] = v;
  return out;
}

/**
 * One uploaded file: on disk when the local server streamed it there (the path is
 * removed after the request), in memory on the buffered Lambda path.
 */
export type UploadedFile = {
  field: string;
  filename: string;
  contentType: string;
  size: number;
} & ({ path: string; data?: undefined } | { data: Buffer; path?: undefined });

export interface MultipartBody {
  json: Record<string, unknown>;
  files: UploadedFile[];
}

/** The bytes of a (small) uploaded file, wherever it is. */
export async function uploadBytes(file: UploadedFile): Promise<Buffer> {
  return file.data ?? readFile(file.path);
}

/**
 * The multipart body: already parsed (and its files streamed to disk) by the local
 * server, or parsed here from the buffered body (Lambda). The `json` part (file or
 * field) becomes `json`.
 */
export async function multipartBody(req: ApiRequest, limits: MultipartLimits): Promise<MultipartBody> {
  if (req.multipart) {
    if (req.multipart.files.length > limits.maxFiles) throw badRequest('Too many files');
    const big = req.multipart.files.find((f) => f.size > limits.maxFileBytes);
    if (big) throw new CoprError('payload-too-large', `File ${big.filename} is too large`);
    return req.multipart;
  }
  if (!req.contentType.toLowerCase().startsWith('multipart/form-data')) {
    throw badRequest('Expected a multipart/form-data request');
  }
  return new Promise((resolve, reject) => {
    let bb: busboy.Busboy;
    try {
      bb = busboy({
        headers: { 'content-type': req.contentType },
        limits: { fileSize: limits.maxFileBytes, files: limits.maxFiles + 1, fields: 20, fieldSize: MAX_JSON_BODY },
      });
    } catch {
      reject(badRequest('Malformed multipart request'));
      return;
    }
    const files: UploadedFile[] = [];
    let jsonText: string | null = null;
    let failure: CoprError | null = null;
    bb.on('file', (field, stream, info) => {
      const chunks: Buffer[] = [];
      // A body cut off inside this part errors the part stream too: handled here, else it would crash the process.
      stream.on('error', () => {
        failure ??= badRequest('Malformed multipart request');
      });
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('limit', () => {
        failure ??= new CoprError('payload-too-large', `File ${info.filename} is too large`);
      });
      stream.on('end', () => {
        const data = Buffer.concat(chunks);
        if (field === 'json') jsonText = data.toString('utf8');
        else files.push({ field, filename: info.filename ?? '', contentType: info.mimeType, size: data.length, data });
      });
    });
    bb.on('field', (field, value) => {
      if (field === 'json') jsonText = value;
    });
    bb.on('filesLimit', () => {
      failure ??= badRequest('Too many files');
    });
    bb.on('error', () => reject(failure ?? badRequest('Malformed multipart request')));
    bb.on('close', () => {
      if (failure) return reject(failure);
      try {
        resolve({ json: jsonText === null ? {} : parseJsonObject(jsonText), files });
      } catch (e) {
        reject(e);
      }
    });
    bb.end(req.body);
  });
}

/** Validates with zod and throws the error as a Copr 400 (mapped centrally). */
export function parseWith<S extends z.ZodType>(schema: S, input: unknown): z.infer<S> {
  return schema.parse(input);
}

// ---- zod building blocks for Copr's lenient inputs ------------------------------------

/** JSON bool, or the strings the upstream form layer accepts. */
export const zBool = z.union([
  z.boolean(),
  z.enum(['true', 'True', 'false', 'False', '', '1', '0', 'y', 'n', 'on', 'off']).transform((s) =>
    ['true', 'True', '1', 'y', 'on'].includes(s),
  ),
]);

/** A list of strings, or one space-separated string (upstream joins lists with spaces). */
export const zStringList = z.union([
  z.array(z.string().max(4096)).max(1000),
  z.string().max(65536).transform((s) => s.split(/\s+/).filter((x) => x.length > 0)),
]);

/** An integer, also accepted as a numeric string (copr-cli sends `"3600"`). */
export const zIntLike = z.union([z.number().int(), z.string().regex(/^-?\d+$/).transform(Number)]);
