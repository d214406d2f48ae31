import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as cloudfront from 'aws-cdk-lib/aws-cloudfront';
import type { Construct } from 'constructs';
import { acknowledge } from '../nag.js';

/**
 * Helpers shared by the two CloudFront distributions (results and web).
 */

/** Custom domain of a distribution: its name and a us-east-1 ACM certificate. */
export interface CdnDomain {
  readonly name: string;
  readonly certificateArn: string;
}

/** Distribution props for an optional custom domain (TLS 1.2+ when a certificate is ours). */
export function domainProps(scope: Construct, domain: CdnDomain | undefined): Partial<cloudfront.DistributionProps> {
  if (domain === undefined) return {};
  return {
    domainNames: [domain.name],
    certificate: acm.Certificate.fromCertificateArn(scope, 'Certificate', domain.certificateArn),
    minimumProtocolVersion: cloudfront.SecurityPolicyProtocol.TLS_V1_2_2021,
  };
}

/** cdk-nag findings every distribution of this app carries, with the reason they are accepted. */
export function suppressDistributionFindings(distribution: cloudfront.Distribution, hasDomain: boolean): void {
  acknowledge(
    distribution,
    { id: 'AwsSolutions-CFR1', reason: 'Package repositories are public and served worldwide; no geo restriction.' },
    {
      id: 'AwsSolutions-CFR2',
      reason: 'WAF is optional and costs money; operators can attach a web ACL to the distribution.',
    },
  );
  if (!hasDomain) {
    acknowledge(
      distribution,
      {
        id: 'AwsSolutions-CFR4',
        reason:
          'Without a custom domain the default *.cloudfront.net certificate is used and CloudFront fixes its TLS policy; set a domain to enforce TLS 1.2.',
      },
    );
  }
}

/** A viewer-request function from inline JavaScript (cloudfront-js-2.0 runtime). */
export function viewerRequestFunction(scope: Construct, id: string, code: string): cloudfront.FunctionAssociation {
  const fn = new cloudfront.Function(scope, id, {
    code: cloudfront.FunctionCode.fromInline(code),
    runtime: cloudfront.FunctionRuntime.JS_2_0,
  });
  return { function: fn, eventType: cloudfront.FunctionEventType.VIEWER_REQUEST };
}
