import { RemovalPolicy } from 'aws-cdk-lib';
import * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';

export interface KeysProps {
  /** Alias without the `alias/` prefix. @default 'copr-signing' */
  readonly aliasName?: string;
  /** Keep the key when the stack is deleted. @default false */
  readonly retain?: boolean;
}

/**
 * The KMS key that wraps the private halves of the per-project GPG signing keys.
 * Only code that signs or creates signing keys is granted use of it.
 */
export class Keys extends Construct {
  public readonly signingKey: kms.Key;

  constructor(scope: Construct, id: string, props: KeysProps = {}) {
    super(scope, id);
    this.signingKey = new kms.Key(this, 'SigningKey', {
      description: 'Wraps the private parts of the per-project GPG signing keys of Copr',
      enableKeyRotation: true,
      alias: props.aliasName ?? 'copr-signing',
      removalPolicy: props.retain === true ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
    });
  }
}
