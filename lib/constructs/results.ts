import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as cloudfront from 'aws-cdk-lib/aws-cloudfront';
import * as origins from 'aws-cdk-lib/aws-cloudfront-origins';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { UPLOADS_PREFIX } from '../../functions/api/uploads.js';
import { LAMBDA_HANDLERS } from '../handlers.js';
import { acknowledge } from '../nag.js';
import { type CdnDomain, domainProps, suppressDistributionFindings, viewerRequestFunction } from './cdn.js';
import { CoprFunction } from './copr-function.js';

export interface ResultsProps {
  /** Bucket receiving S3 and CloudFront access logs. */
  readonly logBucket: s3.IBucket;
  /** Keep object versions (undo for accidental deletes; costs storage). @default false */
  readonly versioned?: boolean;
  /** Custom domain for the results distribution. @default - the *.cloudfront.net name */
  readonly domain?: CdnDomain;
  /** Origins (`https://host`) allowed to fetch results from a browser (the dashboard's log viewer). */
  readonly corsOrigins: readonly string[];
  /** Days an uploaded SRPM is kept after its build was submitted. @default 7 */
  readonly uploadRetentionDays?: number;
  /** @default logs.RetentionDays.ONE_MONTH */
  readonly logRetention?: logs.RetentionDays;
}

/** Paths whose content changes in place when a repository is republished. */
export const REPO_METADATA_PATH = '*/repodata/*';
/**
 * RPMs are uploaded by the builder unsigned and replaced at the same key once the
 * publisher has signed them, so an edge must not keep one: always revalidated.
 */
export const PACKAGE_PATH = '*.rpm';
/**
 * The log a running build appends to; the dashboard follows it every few seconds. While
 * the build runs S3 holds only its chunks (builders ship new bytes only), so a miss on S3
 * (403 without ListBucket, 404) falls over to the listing function, which joins them.
 */
export const LIVE_LOG_PATH = '*/builder-live.log*';
export const LIVE_LOG_FALLBACK_STATUS = [403, 404];
/**
 * Other logs by their plain name (`build.log`): a finished result dir keeps them gzipped
 * only, as Copr's does, so a miss on S3 falls over to the listing function, which answers
 * with the unpacked `.gz` (functions/aws/s3-packed-log.ts), as the local results server does.
 */
export const LOG_PATH = '*.log';
/** Directory URLs: served by the listing function (publisher's index.html or a live listing). */
export const DIRECTORY_PATH = '*/';
/** Other HTML (index.html asked for by name) changes on every publish. */
export const HTML_PATH = '*.html';
/** Uploaded SRPMs: never served by the CDN (builders get a presigned URL). */
export const UPLOADS_PATH = `/${UPLOADS_PREFIX}*`;

// Uploaded SRPMs are private: the CDN answers 403 whatever the bucket holds.
const DENY_UPLOADS = `function handler(event) {
  return { statusCode: 403, statusDescription: 'Forbidden' };
}`;

/**
 * The results bucket (build results and the dnf repositories, in Copr's layout
 * at the bucket root) and its CloudFront distribution. Nothing that changes in
 * place is cached for long: repodata, RPMs (re-uploaded signed), the live log and
 * listings are revalidated or short-lived; other files (logs of finished builds,
 * spec files) are cached for a day. Directory URLs get a listing from a function,
 * so failed and running builds are browsable and downloadable too.
 */
export class Results extends Construct {
  public readonly bucket: s3.Bucket;
  public readonly distribution: cloudfront.Distribution;
  public readonly listing: CoprFunction;
  /** `https://<domain>` without a trailing slash (RESULTS_BASE_URL). */
  public readonly baseUrl: string;

  constructor(scope: Construct, id: string, props: ResultsProps) {
    super(scope, id);
    this.bucket = new s3.Bucket(this, 'Bucket', {
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      versioned: props.versioned ?? false,
      serverAccessLogsBucket: props.logBucket,
      serverAccessLogsPrefix: 'results-bucket/',
      // Build results are the product; never delete them with the stack.
      removalPolicy: RemovalPolicy.RETAIN,
      // The dashboard PUTs large SRPMs into upload slots (presigned URLs) from the browser.
      cors: [
        {
          allowedOrigins: [...props.corsOrigins],
          allowedMethods: [s3.HttpMethods.PUT],
          allowedHeaders: ['*'],
          maxAge: 3600,
        },
      ],
      lifecycleRules: [
        {
          id: 'ExpireUploadedSrpms',
          // The builder fetches the SRPM within minutes; a resubmit after a week uploads again.
          prefix: UPLOADS_PREFIX,
          expiration: Duration.days(props.uploadRetentionDays ?? 7),
          noncurrentVersionExpiration: Duration.days(1),
          abortIncompleteMultipartUploadAfter: Duration.days(1),
        },
      ],
    });

    this.listing = new CoprFunction(this, 'Listing', {
      entry: LAMBDA_HANDLERS.resultsListing,
      timeout: Duration.seconds(20),
      logRetention: props.logRetention,
    }).bindResultsBucket(this.bucket, 'ro');
    const listingUrl = this.listing.fn.addFunctionUrl({ authType: lambda.FunctionUrlAuthType.AWS_IAM });

    const s3Origin = origins.S3BucketOrigin.withOriginAccessControl(this.bucket);
    const listingOrigin = origins.FunctionUrlOrigin.withOriginAccessControl(listingUrl);
    const cors = new cloudfront.ResponseHeadersPolicy(this, 'DashboardCors', {
      comment: 'The dashboard reads logs from the results host',
      corsBehavior: {
        accessControlAllowOrigins: [...props.corsOrigins],
        accessControlAllowMethods: ['GET', 'HEAD'],
        accessControlAllowHeaders: ['*'],
        accessControlAllowCredentials: false,
        accessControlMaxAge: Duration.hours(1),
        originOverride: true,
      },
    });
    const behavior = (
      cachePolicy: cloudfront.ICachePolicy,
      origin: cloudfront.IOrigin = s3Origin,
      functionCode?: { id: string; code: string },
    ): cloudfront.BehaviorOptions => ({
      origin,
      cachePolicy,
      responseHeadersPolicy: cors,
      ...(functionCode === undefined ? {} : { functionAssociations: [viewerRequestFunction(this, functionCode.id, functionCode.code)] }),
      viewerProtocolPolicy: cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
      allowedMethods: cloudfront.AllowedMethods.ALLOW_GET_HEAD,
      compress: true,
    });
    const policy = (id: string, comment: string, ttl: { default: Duration; max: Duration }) =>
      new cloudfront.CachePolicy(this, id, {
        comment,
        defaultTtl: ttl.default,
        minTtl: Duration.seconds(0),
        maxTtl: ttl.max,
        enableAcceptEncodingGzip: true,
        enableAcceptEncodingBrotli: true,
      });
    const revalidate = { default: Duration.seconds(0), max: Duration.seconds(5) };
    const metadataPolicy = policy('RepoMetadataCache', 'repodata: revalidate every time (repomd.xml changes in place)', revalidate);
    const signedPackagePolicy = policy('SignedPackageCache', 'RPMs: revalidate (replaced in place once signed)', revalidate);
    const listingPolicy = policy('ListingCache', 'directory listings: short', {
      default: Duration.seconds(10),
      max: Duration.seconds(30),
    });
    const finishedFilePolicy = policy('FinishedFileCache', 'logs and files of finished builds: written once', {
      default: Duration.days(1),
      max: Duration.days(365),
    });

    const liveLogOrigin = new origins.OriginGroup({
      primaryOrigin: s3Origin,
      fallbackOrigin: listingOrigin,
      fallbackStatusCodes: LIVE_LOG_FALLBACK_STATUS,
    });

    // Order matters: CloudFront takes the first pattern that matches.
    const additionalBehaviors: Record<string, cloudfront.BehaviorOptions> = {
      [UPLOADS_PATH]: behavior(cloudfront.CachePolicy.CACHING_DISABLED, s3Origin, { id: 'DenyUploads', code: DENY_UPLOADS }),
      [LIVE_LOG_PATH]: behavior(cloudfront.CachePolicy.CACHING_DISABLED, liveLogOrigin),
      [LOG_PATH]: behavior(finishedFilePolicy, liveLogOrigin),
      [REPO_METADATA_PATH]: behavior(metadataPolicy),
      [PACKAGE_PATH]: behavior(signedPackagePolicy),
      [DIRECTORY_PATH]: behavior(listingPolicy, listingOrigin),
      [HTML_PATH]: behavior(listingPolicy),
    };

    this.distribution = new cloudfront.Distribution(this, 'Distribution', {
      comment: 'Copr results and repositories',
      defaultBehavior: behavior(finishedFilePolicy),
      additionalBehaviors,
      enableLogging: true,
      logBucket: props.logBucket,
      logFilePrefix: 'results-cdn/',
      ...domainProps(this, props.domain),
    });
    suppressDistributionFindings(this.distribution, props.domain !== undefined);
    acknowledge(this.listing.fn, {
      id: 'AwsSolutions-IAM5[Action::s3:GetObject*]',
      reason: 'Listings read the index.html of any result directory.',
    });
    this.baseUrl = `https://${props.domain?.name ?? this.distribution.distributionDomainName}`;
  }
}
