import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import type { MultipartBody } from './input.js';

/**
 * The request as handlers see it, built from an API Gateway HTTP API (v2) event.
 * The local server builds the same event shape, so both paths run the same code.
 */
export interface ApiRequest {
  method: string;
  /** Path without query string and without the trailing slash. */
  path: string;
  /** Every value of each query key, in order (the client repeats keys). */
  query: Map<string, string[]>;
  /** Lower-case header names. */
  headers: Record<string, string>;
  body: Buffer;
  contentType: string;
  sourceIp: string;
  /** A multipart body the local server already parsed while streaming it (files on disk). */
  multipart?: MultipartBody;
  /** A raw body the local server streamed to a file (routes with `body.toFile`); `body` is then empty. */
  bodyFile?: { path: string; size: number };
}

export function requestFromEvent(event: APIGatewayProxyEventV2): ApiRequest {
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(event.headers ?? {})) {
    if (v !== undefined) headers[k.toLowerCase()] = v;
  }
  const query = new Map<string, string[]>();
  for (const [k, v] of new URLSearchParams(event.rawQueryString ?? '')) {
    const list = query.get(k);
    if (list) list.push(v);
    else query.set(k, [v]);
  }
  const raw = event.body ?? '';
  const body = event.isBase64Encoded ? Buffer.from(raw, 'base64') : Buffer.from(raw, 'utf8');
  let path = event.rawPath || '/';
  while (path.length > 1 && path.endsWith('/')) path = path.slice(0, -1);
  return {
    method: event.requestContext.http.method.toUpperCase(),
    path,
    query,
    headers,
    body,
    contentType: headers['content-type'] ?? '',
    sourceIp: event.requestContext.http.sourceIp,
  };
}
