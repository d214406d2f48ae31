import { S3Client } from '@aws-sdk/client-s3';
import middy from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { loadConfig } from '../config.js';
import { resultsListing } from '../aws/s3-listing.js';

/**
 * Directory URLs (`.../`) of the results CloudFront distribution, through a
 * function URL that only CloudFront may call (origin access control): the
 * publisher's index.html, or a live listing for builds no publish has listed.
 */
const config = loadConfig();
const s3 = new S3Client({});

export const handler = middy<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2>().handler(async (event) => {
  const bucket = config.RESULTS_BUCKET;
  if (bucket === undefined) throw new Error('RESULTS_BUCKET is not set');
  if (event.requestContext.http.method !== 'GET' && event.requestContext.http.method !== 'HEAD') {
    return { statusCode: 405, headers: { allow: 'GET, HEAD', 'content-type': 'text/plain' }, body: 'Method not allowed\n' };
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
