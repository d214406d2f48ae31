import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';

/** A non-JSON response (repo files, result files, the dashboard). */
export interface RawResponse {
  kind: 'raw';
  status: number;
  headers: Record<string, string>;
  body: Buffer | string;
}

export function raw(status: number, body: Buffer | string, headers: Record<string, string>): RawResponse {
  return { kind: 'raw', status, headers, body };
}

export function isRaw(v: unknown): v is RawResponse {
  return typeof v === 'object' && v !== null && (v as RawResponse).kind === 'raw';
}

export function jsonResult(status: number, body: unknown, headers: Record<string, string> = {}): APIGatewayProxyStructuredResultV2 {
  return {
    statusCode: status,
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  };
}

export function rawResult(r: RawResponse): APIGatewayProxyStructuredResultV2 {
  const isBuffer = Buffer.isBuffer(r.body);
  return {
    statusCode: r.status,
    headers: r.headers,
    body: isBuffer ? (r.body as Buffer).toString('base64') : (r.body as string),
    isBase64Encoded: isBuffer,
  };
}
