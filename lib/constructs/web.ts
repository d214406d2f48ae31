import { RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as cloudfront from 'aws-cdk-lib/aws-cloudfront';
import * as origins from 'aws-cdk-lib/aws-cloudfront-origins';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as s3deploy from 'aws-cdk-lib/aws-s3-deployment';
import { Construct } from 'constructs';
import { acknowledge, arnRefOf } from '../nag.js';
import { type DashboardConfig, parseDashboardConfig } from '../../web/src/dashboard-config.js';
import { type CdnDomain, domainProps, suppressDistributionFindings, viewerRequestFunction } from './cdn.js';

export interface WebProps {
  /** Bucket receiving S3 and CloudFront access logs. */
  readonly logBucket: s3.IBucket;
  /**
   * API served under this distribution so the dashboard, the Copr clients and
   * `.repo` links share one origin (like copr.fedorainfracloud.org).
   * @default - no API behaviours
   */
  readonly api?: {
    /** Host name of the HTTP API (e.g. `<id>.execute-api.<region>.amazonaws.com`). */
    readonly domainName: string;
    /** CloudFront path patterns routed to the API. */
    readonly pathPatterns: readonly string[];
    /** Those of them that are dashboard pages the API renders (their `/coprs/` becomes `/coprs`). */
    readonly pagePatterns?: readonly string[];
    /**
     * The inline upload paths and their limits: bigger requests never reach the API
     * (API Gateway and Lambda would answer with their own error body), so the edge
     * answers with Copr's JSON error shape instead.
     */
    readonly uploads?: ReadonlyArray<{ readonly path: string; readonly limitBytes: number; readonly message: string }>;
  };
  /** Custom domain. @default - the *.cloudfront.net name */
  readonly domain?: CdnDomain;
}

// Client-side routes (no file extension in the last segment) get the SPA shell.
// Done per behaviour, not with distribution-wide error responses, so API 404s stay 404s.
const SPA_FALLBACK = `function handler(event) {
  var request = event.request;
  var last = request.uri.split('/').pop();
  if (last.indexOf('.') === -1) request.uri = '/index.html';
  return request;
}`;

/**
 * Viewer-request function of an inline upload path: a declared body larger than
 * the limit gets a 413 in Copr's error shape (`{"output":"notok","error":...}`).
 */
export function uploadLimitFunction(limitBytes: number, message: string): string {
  const body = JSON.stringify({ output: 'notok', error: message });
  return `function handler(event) {
  var length = event.request.headers['content-length'];
  if (length && Number(length.value) > ${limitBytes}) {
    return {
      statusCode: 413,
      statusDescription: 'Payload Too Large',
      headers: { 'content-type': { value: 'application/json' } },
      body: { encoding: 'text', data: ${JSON.stringify(body)} },
    };
  }
  return event.request;
}`;
}

/**
 * Viewer-request function of the page behaviours: the project list's usual URL `/coprs/`
 * is sent as `/coprs`, the HTTP API route it matches (`/coprs/{proxy+}` needs a segment).
 */
export const COPRS_ROOT_FUNCTION = `function handler(event) {
  var request = event.request;
  if (request.uri === '/coprs/') request.uri = '/coprs';
  return request;
}`;

/** The dashboard: a private bucket behind CloudFront, plus the API paths on the same host. */
export class Web extends Construct {
  public readonly bucket: s3.Bucket;
  public readonly distribution: cloudfront.Distribution;
  /** `https://<domain>` without a trailing slash (FRONTEND_URL). */
  public readonly url: string;
  private deployment?: s3deploy.BucketDeployment;
  /** The /config.json deployed with the dashboard (tokens unresolved). */
  public dashboardConfig?: DashboardConfig;

  constructor(scope: Construct, id: string, props: WebProps) {
    super(scope, id);
    this.bucket = new s3.Bucket(this, 'Bucket', {
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      serverAccessLogsBucket: props.logBucket,
      serverAccessLogsPrefix: 'web-bucket/',
      removalPolicy: RemovalPolicy.DESTROY,
    });

    const additionalBehaviors: Record<string, cloudfront.BehaviorOptions> = {};
    if (props.api !== undefined) {
      const apiBehavior: cloudfront.BehaviorOptions = {
        origin: new origins.HttpOrigin(props.api.domainName, {
          protocolPolicy: cloudfront.OriginProtocolPolicy.HTTPS_ONLY,
          originSslProtocols: [cloudfront.OriginSslPolicy.TLS_V1_2],
        }),
        cachePolicy: cloudfront.CachePolicy.CACHING_DISABLED,
        // API Gateway routes on its own Host header, so forward everything else.
        originRequestPolicy: cloudfront.OriginRequestPolicy.ALL_VIEWER_EXCEPT_HOST_HEADER,
        allowedMethods: cloudfront.AllowedMethods.ALLOW_ALL,
        viewerProtocolPolicy: cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
      };
      // Listed first: more specific than /api_3*, and CloudFront takes the first match.
      (props.api.uploads ?? []).forEach((upload, i) => {
        // The first keeps the function's original id, so existing stacks update it in place.
        const id = i === 0 ? 'UploadLimit' : `UploadLimit${i + 1}`;
        additionalBehaviors[upload.path] = {
          ...apiBehavior,
          functionAssociations: [viewerRequestFunction(this, id, uploadLimitFunction(upload.limitBytes, upload.message))],
        };
      });
      const pages = props.api.pagePatterns ?? [];
      const pageBehavior: cloudfront.BehaviorOptions | undefined =
        pages.length === 0 ? undefined : { ...apiBehavior, functionAssociations: [viewerRequestFunction(this, 'CoprsRoot', COPRS_ROOT_FUNCTION)] };
      for (const pattern of props.api.pathPatterns) {
        additionalBehaviors[pattern] = pageBehavior !== undefined && pages.includes(pattern) ? pageBehavior : apiBehavior;
      }
    }

    this.distribution = new cloudfront.Distribution(this, 'Distribution', {
      comment: 'Copr dashboard and API',
      defaultRootObject: 'index.html',
      defaultBehavior: {
        origin: origins.S3BucketOrigin.withOriginAccessControl(this.bucket),
        viewerProtocolPolicy: cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
        cachePolicy: cloudfront.CachePolicy.CACHING_OPTIMIZED,
        functionAssociations: [viewerRequestFunction(this, 'SpaFallback', SPA_FALLBACK)],
        compress: true,
      },
      additionalBehaviors,
      enableLogging: true,
      logBucket: props.logBucket,
      logFilePrefix: 'web-cdn/',
      ...domainProps(this, props.domain),
    });
    suppressDistributionFindings(this.distribution, props.domain !== undefined);
    this.url = `https://${props.domain?.name ?? this.distribution.distributionDomainName}`;

  }

  /**
   * Uploads the built dashboard (`distDir`, see lib/web-dist.ts) plus `/config.json`,
   * checked against the schema the dashboard parses (web/src/dashboard-config.ts).
   */
  deployDashboard(distDir: string, runtimeConfig: DashboardConfig): void {
    if (this.deployment !== undefined) throw new Error('the dashboard is already deployed');
    const parsed = parseDashboardConfig(runtimeConfig);
    if (!parsed.ok) throw new Error(`invalid dashboard /config.json: ${parsed.problems.join('; ')}`);
    this.dashboardConfig = parsed.config;
    this.deployment = new s3deploy.BucketDeployment(this, 'Deploy', {
      destinationBucket: this.bucket,
      sources: [s3deploy.Source.asset(distDir), s3deploy.Source.jsonData('config.json', parsed.config)],
      distribution: this.distribution,
      distributionPaths: ['/*'],
    });
    suppressBucketDeploymentFindings(Stack.of(this), this.bucket);
  }
}

/** The BucketDeployment handler is a CDK-owned singleton at stack level; its findings are not ours to fix. */
function suppressBucketDeploymentFindings(stack: Stack, bucket: s3.IBucket): void {
  for (const child of stack.node.children) {
    if (!child.node.id.startsWith('Custom::CDKBucketDeployment')) continue;
    const reason = 'CDK-owned BucketDeployment handler: copies the dashboard asset into the web bucket.';
    acknowledge(
      child,
      { id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]', reason },
      { id: 'AwsSolutions-L1', reason: `${reason} Its runtime is chosen by CDK.` },
      ...[
        'Action::s3:GetObject*',
        'Action::s3:GetBucket*',
        'Action::s3:List*',
        'Action::s3:DeleteObject*',
        'Action::s3:Abort*',
        'Resource::arn:<AWS::Partition>:s3:::cdk-hnb659fds-assets-<AWS::AccountId>-<AWS::Region>/*',
        'Resource::*',
      ].map((finding) => ({ id: `AwsSolutions-IAM5[${finding}]`, reason })),
    );
    acknowledge(child, { id: `AwsSolutions-IAM5[Resource::${arnRefOf(bucket)}/*]`, reason });
  }
}
