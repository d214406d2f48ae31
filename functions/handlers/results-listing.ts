import { S3Client } from '@aws-sdk/client-s3';
import middy from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { loadConfig } from '../config.js';
import { resultsListing } from '../aws/s3-listing.js';
import { isLiveLogPath, liveLogKeyOf, liveLogView } from '../aws/s3-live-log.js';
import { packedLogKeyOf, packedLogView } from '../aws/s3-packed-log.js';

/**
 * Directory URLs (`.../`) of the results CloudFront distribution, through a
 * function URL that only CloudFront may call (origin access control): the
 * publisher's index.html, or a live listing for builds no publish has listed.
 * Also the fallback of `builder-live.log` while S3 has only its chunks (a running build),
 * and of any `<name>.log` a result dir keeps only as `<name>.log.gz` (a finished build).
 */
const config = loadConfig();
const s3 = new S3Client({});

export const handler = middy<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2>().handler(async (event) => {
  const bucket = config.RESULTS_BUCKET;
  if (bucket === undefined) throw new Error('RESULTS_BUCKET is not set');
  if (event.requestContext.http.method !== 'GET' && event.requestContext.http.method !== 'HEAD') {
    return { statusCode: 405, headers: { allow: 'GET, HEAD', 'content-type': 'text/plain' }, body: 'Method not allowed\n' };
  }
  if (isLiveLogPath(event.rawPath)) {
    // Only a missing builder-live.log comes here (.gz and others: S3 lacked them too).
    const key = liveLogKeyOf(event.rawPath);
    const live = key === null ? { status: 404, body: 'Not found\n' } : await liveLogView(s3, bucket, key);
    // The log grows with every heartbeat: never kept by CloudFront.
    const liveHeaders: Record<string, string> = { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' };
    return { statusCode: live.status, headers: liveHeaders, body: live.body };
  }
  if (event.rawPath.endsWith('.log')) {
    // Only a `.log` S3 lacks comes here (lib/constructs/results.ts LOG_PATH): its .gz, unpacked.
    const key = packedLogKeyOf(event.rawPath);
    const log = key === null ? { status: 404, body: 'Not found\n' } : await packedLogView(s3, bucket, key);
    // A finished build's log does not change again; a miss may be a log still to come.
    const cache = log.status === 200 ? 'max-age=86400' : 'max-age=10';
    return { statusCode: log.status, headers: { 'content-type': 'text/plain; charset=utf-8', 'cache-control': cache }, body: log.body };
  }
  const res = await resultsListing(s3, bucket, event.rawPath);
  const headers: Record<string, string> = {
    'content-type': res.status === 200 ? 'text/html; charset=utf-8' : 'text/plain; charset=utf-8',
    // Running builds add files every few seconds; CloudFront keeps a listing briefly at most.
    'cache-control': 'max-age=10',
  };
  if (res.location !== undefined) headers.location = res.location;
  return { statusCode: res.status, headers, body: res.body };
});
