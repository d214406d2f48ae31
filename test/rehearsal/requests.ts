import type { IncomingHttpHeaders } from 'node:http';
import type { Check } from './iam-check.js';

/**
 * What an AWS request is, read off the wire the way the service reads it: the JSON
 * protocols name the operation in X-Amz-Target, the query protocols in the form's
 * `Action`, and S3 in the method, path and query (path-style, as the SDK sends to an
 * IP endpoint).
 */
export interface Call {
  readonly service: string;
  readonly operation: string;
  readonly json?: unknown;
  readonly form?: URLSearchParams;
  /** For S3: the IAM checks of the request (an S3 call may need several). */
  readonly s3Checks?: Check[];
}

export function describeCall(req: { service: string; method: string; url: URL; headers: IncomingHttpHeaders; body: Buffer }): Call {
  const target = req.headers['x-amz-target'];
  if (typeof target === 'string') {
    const operation = target.split('.').pop() ?? target;
    let json: unknown = {};
    try {
      json = req.body.length > 0 ? JSON.parse(req.body.toString()) : {};
    } catch {
      json = {};
    }
    return { service: req.service, operation, json };
  }
  if (req.service === 's3') return s3Call(req);
  const form = new URLSearchParams(req.method === 'POST' ? req.body.toString() : req.url.search);
  return { service: req.service, operation: form.get('Action') ?? '?', form };
}

function s3Call(req: { method: string; url: URL; headers: IncomingHttpHeaders; body: Buffer }): Call {
  const parts = req.url.pathname.split('/').filter((_, i) => i > 0);
  const bucket = decodeURIComponent(parts[0] ?? '');
  const key = parts.slice(1).map(decodeURIComponent).join('/');
  const q = req.url.searchParams;
  const object = `arn:aws:s3:::${bucket}/${key}`;
  const bucketArn = `arn:aws:s3:::${bucket}`;
  const m = req.method;
  const checks: Check[] = [];
  let operation = `${m} ${key ? 'object' : 'bucket'}`;
  if (!key) {
    if (m === 'GET' && q.has('location')) {
      operation = 'GetBucketLocation';
      checks.push({ action: 's3:GetBucketLocation', resource: bucketArn });
    } else if (m === 'GET') {
      operation = q.has('versions') ? 'ListObjectVersions' : 'ListObjectsV2';
      checks.push({ action: q.has('versions') ? 's3:ListBucketVersions' : 's3:ListBucket', resource: bucketArn });
    } else if (m === 'HEAD') {
      operation = 'HeadBucket';
      checks.push({ action: 's3:ListBucket', resource: bucketArn });
    } else if (m === 'POST' && q.has('delete')) {
      operation = 'DeleteObjects';
      for (const k of req.body.toString().matchAll(/<Key>([^<]*)<\/Key>/g)) {
        checks.push({ action: 's3:DeleteObject', resource: `arn:aws:s3:::${bucket}/${unescapeXml(k[1] ?? '')}` });
      }
    } else {
      checks.push({ action: `s3:${m}Bucket`, resource: bucketArn });
    }
    return { service: 's3', operation, s3Checks: checks };
  }
  if (m === 'GET' || m === 'HEAD') {
    operation = m === 'GET' ? 'GetObject' : 'HeadObject';
    checks.push({ action: 's3:GetObject', resource: object });
  } else if (m === 'PUT') {
    const source = req.headers['x-amz-copy-source'];
    operation = typeof source === 'string' ? 'CopyObject' : q.has('partNumber') ? 'UploadPart' : 'PutObject';
    checks.push({ action: 's3:PutObject', resource: object });
    if (typeof source === 'string') {
      checks.push({ action: 's3:GetObject', resource: `arn:aws:s3:::${decodeURIComponent(source.replace(/^\//, '').split('?')[0] ?? '')}` });
    }
  } else if (m === 'DELETE') {
    operation = q.has('uploadId') ? 'AbortMultipartUpload' : 'DeleteObject';
    checks.push({ action: q.has('uploadId') ? 's3:AbortMultipartUpload' : 's3:DeleteObject', resource: object });
  } else if (m === 'POST') {
    operation = q.has('uploads') ? 'CreateMultipartUpload' : 'CompleteMultipartUpload';
    checks.push({ action: 's3:PutObject', resource: object });
  }
  return { service: 's3', operation, s3Checks: checks };
}

const unescapeXml = (s: string) => s.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&apos;/g, "'").replace(/&amp;/g, '&');
