import { Duration, Stack } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { acknowledge } from '../nag.js';
import { LAMBDA_HANDLERS } from '../handlers.js';
import { CoprFunction } from './copr-function.js';

/** Routes of the HTTP API, all served by the one API function. */
export const API_ROUTES: ReadonlyArray<{ readonly path: string; readonly methods: readonly apigw.HttpMethod[] }> = [
  { path: '/api_3', methods: [apigw.HttpMethod.ANY] },
  { path: '/api_3/{proxy+}', methods: [apigw.HttpMethod.ANY] },
  // Dashboard pages under /coprs (the shell with a server-rendered summary) and .repo files.
  { path: '/coprs', methods: [apigw.HttpMethod.GET] },
  { path: '/coprs/{proxy+}', methods: [apigw.HttpMethod.GET] },
  { path: '/backend/{proxy+}', methods: [apigw.HttpMethod.ANY] },
  { path: '/webhooks/{proxy+}', methods: [apigw.HttpMethod.POST] },
  // Copr's RSS feed of new builds (functions/api/routes/rss.ts).
  { path: '/rss', methods: [apigw.HttpMethod.GET] },
];

/** The builders' route (the builder protocol), throttled apart from users' routes. */
export const BACKEND_ROUTE_PATH = '/backend/{proxy+}';
const backendRoute = API_ROUTES.find((r) => r.path === BACKEND_ROUTE_PATH);
if (backendRoute === undefined) throw new Error(`API_ROUTES lacks ${BACKEND_ROUTE_PATH}`);
/** Its route key, as stage route settings name it. */
export const BACKEND_ROUTE_KEY = `${backendRoute.methods.join(',')} ${BACKEND_ROUTE_PATH}`;

/**
 * Users' throttle: the stage default, for every route but the builders'. A burst of
 * user requests never throttles a builder, and builders never use up users' share.
 */
export const USER_THROTTLE: apigw.ThrottleSettings = { rateLimit: 50, burstLimit: 100 };

/**
 * Builders' throttle, sized for 1,000 builders (docs/architecture.md "Builder traffic"): a heartbeat and at most
 * one live-log chunk per builder every 20 s (100 requests/s) plus the calls of each task
 * (task, started, upload URLs, finished: about 15 per task, 25/s at 10-minute tasks),
 * about 125 requests/s in all; 500/s steady and a 1,000 burst leave 4x headroom.
 * Builders back off with jitter on a 429 (builder-ami/agent/http-retry.ts).
 */
export const BACKEND_THROTTLE: apigw.ThrottleSettings = { rateLimit: 500, burstLimit: 1000 };

/**
 * CloudFront path patterns that forward to the API (the web distribution serves
 * both). Every /coprs URL goes to the API: the .repo files, and the dashboard pages,
 * which the API answers with the deployed SPA shell carrying a server-rendered summary
 * of the project list, a project or a build inside `<noscript>` (functions/api/html/
 * dashboard-pages.ts), so `curl` reads what Copr's HTML shows while a browser boots
 * the dashboard from the same page (its assets still come from the bucket).
 */
export const API_PAGE_PATTERNS = ['/coprs', '/coprs/*'] as const;
export const API_PATH_PATTERNS = ['/api_3*', ...API_PAGE_PATTERNS, '/backend/*', '/webhooks/*', '/rss'] as const;

/** The inline SRPM upload (multipart through the API); larger ones are refused at the edge. */
export const UPLOAD_PATH = '/api_3/build/create/upload';

/** The inline binary RPM upload (copr-cli uploadrpm), limited the same way. */
export const RPM_UPLOAD_PATH = '/api_3/build/create/rpm-upload';

export interface ApiProps {
  /** @default logs.RetentionDays.ONE_MONTH */
  readonly logRetention?: logs.RetentionDays;
  /** Regional custom domain for the HTTP API. @default - the execute-api endpoint only */
  readonly domain?: { readonly name: string; readonly certificateArn: string };
  /** Stage throttling (users' routes). @default USER_THROTTLE */
  readonly throttle?: apigw.ThrottleSettings;
  /** Throttling of the builders' route. @default BACKEND_THROTTLE */
  readonly backendThrottle?: apigw.ThrottleSettings;
}

/**
 * The HTTP API and its single Lambda function. Authentication (OIDC JWT and
 * Copr API tokens) happens in the function because the Copr API also serves
 * anonymous reads and token-authenticated clients, which an API Gateway JWT
 * authorizer cannot express.
 */
export class Api extends Construct {
  public readonly httpApi: apigw.HttpApi;
  public readonly stage: apigw.HttpStage;
  public readonly function: CoprFunction;
  public readonly accessLogs: logs.LogGroup;
  /** `<id>.execute-api.<region>.amazonaws.com` */
  public readonly endpointDomain: string;

  constructor(scope: Construct, id: string, props: ApiProps = {}) {
    super(scope, id);
    const retention = props.logRetention ?? logs.RetentionDays.ONE_MONTH;
    this.function = new CoprFunction(this, 'Handler', {
      entry: LAMBDA_HANDLERS.api,
      timeout: Duration.seconds(29),
      memorySize: 1024,
      logRetention: retention,
    });

    this.httpApi = new apigw.HttpApi(this, 'HttpApi', {
      description: 'Copr APIv3, .repo files, builder backend and webhooks',
      createDefaultStage: false,
    });
    this.accessLogs = new logs.LogGroup(this, 'AccessLogs', { retention });
    const domainName =
      props.domain === undefined
        ? undefined
        : new apigw.DomainName(this, 'DomainName', {
            domainName: props.domain.name,
            certificate: acm.Certificate.fromCertificateArn(this, 'Certificate', props.domain.certificateArn),
          });
    this.stage = new apigw.HttpStage(this, 'DefaultStage', {
      httpApi: this.httpApi,
      stageName: '$default',
      autoDeploy: true,
      throttle: props.throttle ?? USER_THROTTLE,
      accessLogSettings: { destination: new apigw.LogGroupLogDestination(this.accessLogs) },
      domainMapping: domainName === undefined ? undefined : { domainName },
    });

    const integration = new HttpLambdaIntegration('Integration', this.function.fn);
    for (const route of API_ROUTES) {
      const routes = this.httpApi.addRoutes({ path: route.path, methods: [...route.methods], integration });
      if (route.path !== BACKEND_ROUTE_PATH) continue;
      const backend = props.backendThrottle ?? BACKEND_THROTTLE;
      const cfnStage = this.stage.node.defaultChild as apigw.CfnStage;
      // A free-form JSON property: CloudFormation's own (Pascal-case) names, CDK converts nothing.
      cfnStage.routeSettings = {
        [BACKEND_ROUTE_KEY]: { ThrottlingRateLimit: backend.rateLimit, ThrottlingBurstLimit: backend.burstLimit },
      };
      // Route settings name a route that must exist before the stage refers to it.
      for (const r of routes) cfnStage.node.addDependency(r);
    }
    this.endpointDomain = `${this.httpApi.apiId}.execute-api.${Stack.of(this).region}.${Stack.of(this).urlSuffix}`;

    acknowledge(this.httpApi, {
      id: 'AwsSolutions-APIG4',
      reason: 'Authorization is done in the function: the Copr API mixes anonymous reads, OIDC JWTs and Copr API tokens.',
    });
  }
}
