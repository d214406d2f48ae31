import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Aws, CfnOutput, Stack, type StackProps, Tags } from 'aws-cdk-lib';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { AccessLogs } from './constructs/access-logs.js';
import { API_PAGE_PATTERNS, API_PATH_PATTERNS, Api, RPM_UPLOAD_PATH, UPLOAD_PATH } from './constructs/api.js';
import { Auth } from './constructs/auth.js';
import { BuilderImage } from './constructs/builder-image.js';
import { Bootstrap } from './constructs/bootstrap.js';
import { type BuilderImageSource, Builders } from './constructs/builders.js';
import { Data } from './constructs/data.js';
import { EventBus } from './constructs/event-bus.js';
import { Keys } from './constructs/keys.js';
import { Network } from './constructs/network.js';
import { Observability } from './constructs/observability.js';
import { Publisher } from './constructs/publisher.js';
import { Queues } from './constructs/queues.js';
import { Results } from './constructs/results.js';
import { Web } from './constructs/web.js';
import { Workers } from './constructs/workers.js';
import { bundleAgent } from './agent-bundle.js';
import { repoPath } from './handlers.js';
import { INLINE_UPLOAD_LIMIT_BYTES, rpmUploadTooLargeMessage, uploadTooLargeMessage } from '../functions/api/uploads.js';
import { buildWebDist, DEFAULT_WEB_DIST, ensureWebDist } from './web-dist.js';
import {
  ARCHES,
  type Arch,
  builderAmiParameterName,
  keepsData,
  parentImageParameterName,
  type Settings,
} from './settings.js';

export interface CoprStackProps extends StackProps {
  readonly settings: Settings;
  /**
   * Built dashboard to upload; synth fails if it has no index.html.
   * @default `<repo>/web/dist`, built (or refreshed) by scripts/build-web.sh during synth
   */
  readonly webDistDir?: string;
  /** AWSTOE component documents of the builder AMI. @default `<repo>/builder-ami/recipe` */
  readonly builderRecipeDir?: string;
  /** The bundled builder agent. @default - bundled from builder-ami/agent/main.ts during synth */
  readonly agentBundlePath?: string;
}

/**
 * Everything the local service runs, on AWS: API, table, queues, dispatcher and
 * friends, builder launch templates and their AMI pipeline, the createrepo task,
 * results and dashboard behind CloudFront, sign-in, signing key, alarms.
 */
export class CoprStack extends Stack {
  public readonly api: Api;
  public readonly data: Data;
  public readonly queues: Queues;
  public readonly workers: Workers;
  public readonly builders: Builders;
  public readonly publisher: Publisher;
  public readonly results: Results;
  public readonly web: Web;
  public readonly auth: Auth;
  public readonly eventBus: EventBus;
  public readonly bootstrap: Bootstrap;

  constructor(scope: Construct, id: string, props: CoprStackProps) {
    super(scope, id, props);
    const s = props.settings;
    const retain = keepsData(s.stage);
    const logRetention = retentionOf(s.logRetentionDays);
    Tags.of(this).add('copr:stage', s.stage);

    const accessLogs = new AccessLogs(this, 'AccessLogs');
    this.data = new Data(this, 'Data', { retain });
    this.queues = new Queues(this, 'Queues');
    this.eventBus = new EventBus(this, 'Events', { busName: `copr-${s.stage}` });
    const keys = new Keys(this, 'Keys', { aliasName: `copr-${s.stage}-signing`, retain });
    this.api = new Api(this, 'Api', { logRetention, domain: s.apiDomain });
    this.web = new Web(this, 'Web', {
      logBucket: accessLogs.bucket,
      api: {
        domainName: this.api.endpointDomain,
        pathPatterns: API_PATH_PATTERNS,
        pagePatterns: API_PAGE_PATTERNS,
        uploads: [
          { path: UPLOAD_PATH, limitBytes: INLINE_UPLOAD_LIMIT_BYTES, message: uploadTooLargeMessage(INLINE_UPLOAD_LIMIT_BYTES) },
          { path: RPM_UPLOAD_PATH, limitBytes: INLINE_UPLOAD_LIMIT_BYTES, message: rpmUploadTooLargeMessage(INLINE_UPLOAD_LIMIT_BYTES) },
        ],
      },
      domain: s.webDomain,
    });
    this.results = new Results(this, 'Results', {
      logBucket: accessLogs.bucket,
      versioned: retain,
      domain: s.resultsDomain,
      logRetention,
      // The dashboard's log viewer fetches builder-live.log from the results host.
      corsOrigins: [this.web.url],
    });
    const network = new Network(this, 'Network', {
      existing:
        s.vpcId !== undefined && s.subnetIds !== undefined ? { vpcId: s.vpcId, subnetIds: s.subnetIds } : undefined,
      assignPublicIp: s.assignPublicIp,
      flowLogRetention: logRetention,
    });

    this.builders = new Builders(this, 'Builders', {
      vpc: network.vpc,
      subnetIds: network.subnetIds,
      images: builderImages(s),
      ...(s.builderInstanceTypes ? { instanceTypes: { x86_64: s.builderInstanceTypes.x86_64[0]!, aarch64: s.builderInstanceTypes.aarch64[0]! } } : {}),
      spot: s.spot,
      logRetention,
    });
    const firstSubnet = network.subnetIds[0];
    if (firstSubnet === undefined) throw new Error('the network has no subnet for builders');
    const builderImage = new BuilderImage(this, 'BuilderImage', {
      recipeDir: props.builderRecipeDir ?? repoPath('builder-ami/recipe'),
      parentImages: perArch((arch) => s.builderParentImages?.[arch] ?? parentImageParameterName(s.stage, arch)),
      outputParameters: perArch((arch) => builderAmiParameterName(s.stage, arch)),
      subnetId: firstSubnet,
      securityGroup: this.builders.securityGroup,
      agentBundlePath: props.agentBundlePath ?? bundleAgent(),
    });

    this.publisher = new Publisher(this, 'Publisher', {
      vpc: network.vpc,
      subnetIds: network.subnetIds,
      assignPublicIp: network.assignPublicIp,
      table: this.data.table,
      resultsBucket: this.results.bucket,
      resultsBaseUrl: this.results.baseUrl,
      signingKey: keys.signingKey,
      imageDir: repoPath('builder-ami/publisher-image'),
      appDir: repoPath('.'),
      logRetention,
    });

    this.auth = new Auth(this, 'Auth', {
      external:
        s.oidcIssuer !== undefined && s.oidcAudience !== undefined
          ? { issuer: s.oidcIssuer, audience: s.oidcAudience, jwksUri: s.oidcJwksUri }
          : undefined,
      usernameClaim: s.oidcUsernameClaim,
      dashboardUrl: this.web.url,
      cognitoDomainPrefix: `copr-${s.stage}-${Aws.ACCOUNT_ID}`,
      retain,
    });

    const apiFn = this.api.function
      .bindTable(this.data.table)
      .bindResultsBucket(this.results.bucket)
      .bindQueueSender(this.queues.dispatch.queue, 'DISPATCH_QUEUE_URL')
      .bindQueueSender(this.queues.publish.queue, 'PUBLISH_QUEUE_URL')
      .bindQueueSender(this.queues.actions.queue, 'ACTION_QUEUE_URL')
      // Project events from the routes, build events from the builders reporting through the API.
      .bindEventBus(this.eventBus.bus)
      .setEnv('FRONTEND_URL', this.web.url)
      .setEnv('RESULTS_BASE_URL', this.results.baseUrl)
      .setEnv('OIDC_ISSUER', this.auth.issuer)
      .setEnv('OIDC_AUDIENCE', this.auth.audience)
      .setEnv('OIDC_USERNAME_CLAIM', this.auth.usernameClaim)
      // Lambda takes at most 6 MB per request, base64-encoded: the inline upload limit.
      .setEnv('MAX_UPLOAD_BYTES', String(INLINE_UPLOAD_LIMIT_BYTES))
      // Builders report and ask for their next task through the API (warm builders).
      .setEnv('BUILDER_REUSE', s.builderReuse)
      .setEnv('BUILDER_IDLE_SECONDS', String(s.builderIdleSeconds));
    if (this.auth.jwksUri !== undefined) apiFn.setEnv('OIDC_JWKS_URI', this.auth.jwksUri);
    if (s.distgitInstances !== undefined) apiFn.setEnv('DISTGIT_INSTANCES', JSON.stringify(s.distgitInstances));

    this.workers = new Workers(this, 'Workers', {
      table: this.data.table,
      queues: this.queues,
      builders: this.builders,
      publisher: this.publisher,
      resultsBucket: this.results.bucket,
      resultsBaseUrl: this.results.baseUrl,
      eventBus: this.eventBus.bus,
      frontendUrl: this.web.url,
      maxBuilders: s.maxBuilders,
      builderInstanceTypes: s.builderInstanceTypes,
      builderReuse: s.builderReuse,
      builderIdleSeconds: s.builderIdleSeconds,
      ...(s.distgitLookaside ? { distgitLookaside: JSON.stringify(s.distgitLookaside) } : {}),
      logRetention,
    });

    this.bootstrap = new Bootstrap(this, 'Bootstrap', { table: this.data.table, frontendUrl: this.web.url, logRetention });

    const webDist =
      props.webDistDir === undefined ? ensureWebDist(DEFAULT_WEB_DIST, buildWebDist) : ensureWebDist(props.webDistDir, undefined);
    // The API renders /coprs pages into the same shell the bucket serves (dashboard-pages.ts).
    apiFn.setEnv('DASHBOARD_SHELL', dashboardShell(webDist));
    this.web.deployDashboard(webDist, {
      ...this.auth.dashboardConfig(this.web.url),
      // Larger SRPMs go through an upload slot straight to the results bucket.
      uploadLimitBytes: INLINE_UPLOAD_LIMIT_BYTES,
    });

    new Observability(this, 'Observability', {
      httpApi: this.api.httpApi,
      queues: this.queues.all,
      functions: [
        { name: 'Api', fn: this.api.function },
        { name: 'Dispatcher', fn: this.workers.dispatcher },
        { name: 'Reaper', fn: this.workers.reaper },
        { name: 'PublishTrigger', fn: this.workers.publishTrigger },
        { name: 'Actions', fn: this.workers.actions },
        { name: 'Maintenance', fn: this.workers.maintenance },
        { name: 'ResultsListing', fn: this.results.listing },
        { name: 'Bootstrap', fn: this.bootstrap.function },
      ],
      alarmEmail: s.alarmEmail,
      dashboardName: `copr-${s.stage}`,
    });

    const output = (id: string, value: string, description: string) =>
      new CfnOutput(this, id, { value, description });
    output('FrontendUrl', this.web.url, 'Copr URL for copr-cli (~/.config/copr) and the dashboard');
    output('ResultsUrl', this.results.baseUrl, 'Base URL of the repositories and build results');
    output('ApiEndpoint', this.api.httpApi.apiEndpoint, 'HTTP API endpoint (also served under FrontendUrl)');
    output('OidcIssuer', this.auth.issuer, 'OIDC issuer the API trusts');
    output('OidcAudience', this.auth.audience, 'OIDC audience (app client id) the API expects');
    output(
      'BootstrapFunctionName',
      this.bootstrap.function.fn.functionName,
      'Invoke with {"action":"make-admin","username":"<you>"} for the first admin and their API token (docs/deploy.md)',
    );
    output('EventBusName', this.eventBus.bus.eventBusName, 'EventBridge bus of build and project events (docs/events.md)');
    output('EventBusArn', this.eventBus.bus.eventBusArn, 'ARN of that bus, for rules and cross-account targets');
    for (const arch of ARCHES) {
      const pipeline = builderImage.pipelines[arch];
      output(`BuilderPipeline${arch.replace('_', '')}`, pipeline.attrArn, `Builder AMI pipeline (${arch})`);
    }
  }
}

const perArch = <T>(f: (arch: Arch) => T): Record<Arch, T> => ({ x86_64: f('x86_64'), aarch64: f('aarch64') });

/** Fixed AMI ids win; otherwise EC2 resolves an SSM parameter at each launch (the pipeline's by default). */
function builderImages(s: Settings): Record<Arch, BuilderImageSource> {
  return perArch((arch) => {
    const amiId = s.builderAmiIds?.[arch];
    if (amiId !== undefined) return { amiId };
    return { ssmParameter: s.builderAmiSsmParameters?.[arch] ?? builderAmiParameterName(s.stage, arch) };
  });
}

/** Lambda's environment holds 4 KB in all: the shell must stay small (it is ~0.6 KB). */
const MAX_SHELL_BYTES = 2048;

function dashboardShell(webDist: string): string {
  const shell = readFileSync(join(webDist, 'index.html'), 'utf8');
  if (Buffer.byteLength(shell) > MAX_SHELL_BYTES) {
    throw new Error(`${webDist}/index.html is over ${MAX_SHELL_BYTES} bytes: too big for the API function's environment (DASHBOARD_SHELL)`);
  }
  return shell;
}

function retentionOf(days: number): logs.RetentionDays {
  const allowed = Object.values(logs.RetentionDays).filter((v): v is number => typeof v === 'number');
  if (!allowed.includes(days)) {
    throw new Error(`logRetentionDays must be one of ${allowed.sort((a, b) => a - b).join(', ')}; got ${days}`);
  }
  return days as logs.RetentionDays;
}
