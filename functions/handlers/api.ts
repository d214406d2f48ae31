import middy from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { createApiHandler } from '../api/app.js';
import { coprsPagePatterns, dashboardPageRoutes } from '../api/html/dashboard-pages.js';
import { buildRouter } from '../api/routes/index.js';
import { jsonLogger } from '../adapters/json-logger.js';
import { awsAppContext } from '../aws/compose.js';

/**
 * The HTTP API on Lambda: every route of functions/api/routes behind one function.
 * Errors are already mapped to Copr's JSON shape inside createApiHandler; the
 * middy chain only adds the last-resort guard (never an HTML 502 to the client).
 */
const ctx = awsAppContext();
// CloudFront sends /coprs pages here (lib/constructs/api.ts): the deployed shell with the
// server-rendered summary, so clients without JavaScript read project names and states.
const shell = ctx.config.DASHBOARD_SHELL ?? null;
const api = createApiHandler(ctx, buildRouter(shell === null ? [] : dashboardPageRoutes(coprsPagePatterns(), () => shell)));

const log = jsonLogger({ component: 'api' });

const lastResort = {
  onError: async (request: { response?: APIGatewayProxyStructuredResultV2; error?: unknown }) => {
    log.error(`api: unhandled ${(request.error as Error | undefined)?.name ?? 'error'}`);
    request.response = {
      statusCode: 500,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ output: 'notok', error: 'Internal server error' }),
    };
  },
};

export const handler = middy<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2>()
  .use(lastResort)
  .handler((event) => api(event));
