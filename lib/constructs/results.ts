import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as cloudfront from 'aws-cdk-lib/aws-cloudfront';
import * as origins from 'aws-cdk-lib/aws-cloudfront-origins';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { type CdnDomain, domainProps, suppressDistributionFindings, viewerRequestFunction } from './cdn.js';

export interface ResultsProps {
  /** Bucket receiving S3 and CloudFront access logs. */
  readonly logBucket: s3.IBucket;
  /** Keep object versions (undo for accidental deletes; costs storage). @default false */
  readonly versioned?: boolean;
  /** Custom domain for the results distribution. @default - the *.cloudfront.net name */
  readonly domain?: CdnDomain;
}

/** Paths whose content changes in place when a repository is republished. */
export const REPO_METADATA_PATH = '*/repodata/*';
/** Directory listings (`.../` rewritten to index.html) and other HTML change on every publish. */
export const LISTING_PATHS = ['*/', '*.html'] as const;

// Directory URLs end in '/'; S3 has no directories, so serve the index.html the publisher writes.
const INDEX_REWRITE = `function handler(event) {
  var request = event.request;
  if (request.uri.endsWith('/')) request.uri += 'index.html';
  return request;
}`;

/**
 * The results bucket (build results and the dnf repositories, in Copr's layout
 * at the bucket root) and its CloudFront distribution. Repository metadata is
 * never served stale: `repodata/*` is cached for at most a few seconds and
 * revalidated, while RPMs, whose names never get reused, are cached long.
 */
export class Results extends Construct {
  public readonly bucket: s3.Bucket;
  public readonly distribution: cloudfront.Distribution;
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
    });

    const origin = origins.S3BucketOrigin.withOriginAccessControl(this.bucket);
    const functionAssociations = [viewerRequestFunction(this, 'IndexRewrite', INDEX_REWRITE)];
    const behavior = (cachePolicy: cloudfront.ICachePolicy): cloudfront.BehaviorOptions => ({
      origin,
      cachePolicy,
      functionAssociations,
      viewerProtocolPolicy: cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
      allowedMethods: cloudfront.AllowedMethods.ALLOW_GET_HEAD,
      compress: true,
    });
    const metadataPolicy = new cloudfront.CachePolicy(this, 'RepoMetadataCache', {
      comment: 'repodata: revalidate every time (repomd.xml changes in place)',
      defaultTtl: Duration.seconds(0),
      minTtl: Duration.seconds(0),
      maxTtl: Duration.seconds(5),
      enableAcceptEncodingGzip: true,
      enableAcceptEncodingBrotli: true,
    });
    const listingPolicy = new cloudfront.CachePolicy(this, 'ListingCache', {
      comment: 'directory listings: short',
      defaultTtl: Duration.seconds(30),
      minTtl: Duration.seconds(0),
      maxTtl: Duration.minutes(1),
      enableAcceptEncodingGzip: true,
      enableAcceptEncodingBrotli: true,
    });
    const packagePolicy = new cloudfront.CachePolicy(this, 'PackageCache', {
      comment: 'RPMs and logs: names are never reused, cache long',
      defaultTtl: Duration.days(1),
      minTtl: Duration.seconds(0),
      maxTtl: Duration.days(365),
      enableAcceptEncodingGzip: true,
      enableAcceptEncodingBrotli: true,
    });

    const additionalBehaviors: Record<string, cloudfront.BehaviorOptions> = {
      [REPO_METADATA_PATH]: behavior(metadataPolicy),
    };
    for (const path of LISTING_PATHS) additionalBehaviors[path] = behavior(listingPolicy);

    this.distribution = new cloudfront.Distribution(this, 'Distribution', {
      comment: 'Copr results and repositories',
      defaultBehavior: behavior(packagePolicy),
      additionalBehaviors,
      enableLogging: true,
      logBucket: props.logBucket,
      logFilePrefix: 'results-cdn/',
      ...domainProps(this, props.domain),
    });
    suppressDistributionFindings(this.distribution, props.domain !== undefined);
    this.baseUrl = `https://${props.domain?.name ?? this.distribution.distributionDomainName}`;
  }
}
