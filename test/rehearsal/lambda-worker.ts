/**
 * One Lambda execution environment: imports the function's synthesized bundle (the
 * file its `Handler` names inside the cdk.out asset directory) and runs the exported
 * handler for each event the parent sends over IPC, one at a time, as Lambda does.
 *
 * Before the bundle loads, HTTPS requests to Cognito's public issuer host are sent to
 * moto's Cognito (which serves the pool's JWKS at the same path): the only network
 * stand-in of the rehearsal, since this machine cannot reach AWS.
 */
import { createRequire, syncBuiltinESMExports } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type * as HttpsModule from 'node:https';
import type * as HttpModule from 'node:http';

const require = createRequire(import.meta.url);
const https = require('node:https') as typeof HttpsModule;
const http = require('node:http') as typeof HttpModule;

const cognitoHost = /^cognito-idp\.[a-z0-9-]+\.amazonaws\.com$/;
const moto = process.env.REHEARSAL_COGNITO_ENDPOINT;
if (moto) {
  const original = https.request;
  const redirected = ((...args: unknown[]) => {
    const [first, second] = args;
    const url = typeof first === 'string' ? new URL(first) : first instanceof URL ? first : null;
    const opts = (url ? (typeof second === 'object' && second !== null ? second : {}) : first) as HttpsModule.RequestOptions;
    const host = url ? url.hostname : String(opts.hostname ?? opts.host ?? '');
    if (!cognitoHost.test(host)) return (original as (...a: unknown[]) => unknown)(...args);
    const target = new URL(moto);
    const path = url ? `${url.pathname}${url.search}` : String(opts.path ?? '/');
    const cb = args.find((a) => typeof a === 'function') as ((res: HttpModule.IncomingMessage) => void) | undefined;
    return http.request({ hostname: target.hostname, port: target.port, path, method: opts.method ?? 'GET', headers: opts.headers }, cb);
  }) as typeof https.request;
  https.request = redirected;
  https.get = ((...args: Parameters<typeof https.get>) => {
    const req = (redirected as (...a: unknown[]) => HttpModule.ClientRequest)(...args);
    req.end();
    return req;
  }) as typeof https.get;
  syncBuiltinESMExports();
}

const [dir, handlerSpec] = [process.env.REHEARSAL_BUNDLE_DIR ?? '', process.env.REHEARSAL_HANDLER ?? 'index.handler'];
const [file, exportName] = handlerSpec.split('.') as [string, string];
const { existsSync } = await import('node:fs');
const candidates = ['.mjs', '.js', '.cjs'].map((ext) => join(dir, `${file}${ext}`));
const entry = candidates.find((c) => existsSync(c));
if (!entry) {
  process.send?.({ type: 'init-error', error: `no ${file}.mjs/.js in ${dir}` });
  process.exit(1);
}
const mod = (await import(pathToFileURL(entry).href)) as Record<string, unknown>;
const handler = mod[exportName];
if (typeof handler !== 'function') {
  process.send?.({ type: 'init-error', error: `${entry} exports no function ${exportName}` });
  process.exit(1);
}

// Time passing: an invocation may run this far ahead of the wall clock (the rehearsal
// fires a schedule "minutes later" without waiting for them). Reset after each invocation.
const realNow = Date.now.bind(Date);
let offsetMs = 0;
Date.now = () => realNow() + offsetMs;

let n = 0;
process.on('message', (msg: { id: number; event: unknown; timeoutMs: number; clockOffsetMs?: number }) => {
  offsetMs = msg.clockOffsetMs ?? 0;
  const started = Date.now();
  const context = {
    awsRequestId: `rehearsal-${process.pid}-${++n}`,
    functionName: process.env.AWS_LAMBDA_FUNCTION_NAME,
    functionVersion: '$LATEST',
    memoryLimitInMB: process.env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE,
    getRemainingTimeInMillis: () => Math.max(0, msg.timeoutMs - (Date.now() - started)),
    callbackWaitsForEmptyEventLoop: true,
  };
  Promise.resolve()
    .then(() => (handler as (e: unknown, c: unknown) => unknown)(msg.event, context))
    .then(
      (result) => process.send?.({ type: 'result', id: msg.id, result: result === undefined ? null : result }),
      (err: unknown) => process.send?.({ type: 'error', id: msg.id, error: { errorType: (err as Error)?.name ?? 'Error', errorMessage: (err as Error)?.message ?? String(err) } }),
    )
    .finally(() => {
      offsetMs = 0;
    });
});
process.send?.({ type: 'ready' });
