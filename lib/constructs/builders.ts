import { Stack, Tags } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { acknowledge, policyScope } from '../nag.js';
import type { Arch } from '../settings.js';

/** Tag put on every builder instance (and its volumes) at launch; terminate is limited to it. */
export const BUILDER_TAG_KEY = 'copr:builder';

/** Where a builder AMI comes from: a fixed id, or an SSM parameter EC2 resolves at each launch. */
export type BuilderImageSource = { readonly amiId: string } | { readonly ssmParameter: string };

export interface BuildersProps {
  readonly vpc: ec2.IVpc;
  /** Subnets the dispatcher launches builders into (BUILDER_SUBNETS). */
  readonly subnetIds: readonly string[];
  /** AMI per architecture. */
  readonly images: Readonly<Record<Arch, BuilderImageSource>>;
  /** @default { x86_64: 'c7i.xlarge', aarch64: 'c7g.xlarge' } */
  readonly instanceTypes?: Readonly<Record<Arch, string>>;
  /** Launch as one-time spot instances. @default false */
  readonly spot?: boolean;
  /** Root volume size in GiB (mock chroots are large). @default 80 */
  readonly rootVolumeGiB?: number;
  /** Retention of the builders' agent logs. @default logs.RetentionDays.ONE_MONTH */
  readonly logRetention?: logs.RetentionDays;
}

/** A fixed AMI id that works in a region-agnostic stack (genericLinux needs a region key). */
class FixedLinuxImage implements ec2.IMachineImage {
  constructor(private readonly amiId: string) {}
  getImage(): ec2.MachineImageConfig {
    return { imageId: this.amiId, osType: ec2.OperatingSystemType.LINUX, userData: ec2.UserData.forLinux() };
  }
}

/** ARN of an SSM parameter given by its name (`/a/b` or `a`). */
export function ssmParameterArn(stack: Stack, name: string): string {
  const path = name.startsWith('/') ? name : `/${name}`;
  return `arn:${stack.partition}:ssm:${stack.region}:${stack.account}:parameter${path}`;
}

const DEFAULT_INSTANCE_TYPES: Record<Arch, string> = { x86_64: 'c7i.xlarge', aarch64: 'c7g.xlarge' };

/**
 * One launch template per architecture. A builder is disposable: it gets one
 * task and a task-scoped credential through user data, talks to the API over
 * HTTPS, uploads through presigned URLs and powers off (which terminates it).
 * So its role can do almost nothing: write its own agent log stream. No S3,
 * no DynamoDB, no secrets; nothing may connect to it (no ingress rules).
 */
export class Builders extends Construct {
  public readonly securityGroup: ec2.SecurityGroup;
  public readonly role: iam.Role;
  public readonly logGroup: logs.LogGroup;
  public readonly launchTemplates: Readonly<Record<Arch, ec2.LaunchTemplate>>;
  public readonly subnetIds: readonly string[];
  /** SSM parameters the launch templates resolve (`resolve:ssm:`) at each launch. */
  public readonly imageParameters: readonly string[];
  /** Value of the tag `BUILDER_TAG_KEY` on our instances (unique per stack). */
  public readonly tagValue: string;

  constructor(scope: Construct, id: string, props: BuildersProps) {
    super(scope, id);
    this.subnetIds = props.subnetIds;
    this.imageParameters = [
      ...new Set(Object.values(props.images).flatMap((i) => ('ssmParameter' in i ? [i.ssmParameter] : []))),
    ];
    this.tagValue = Stack.of(this).stackName;
    this.securityGroup = new ec2.SecurityGroup(this, 'SecurityGroup', {
      vpc: props.vpc,
      description: 'Copr builders: outbound only (sources, mirrors, API)',
      allowAllOutbound: true,
    });
    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('ec2.amazonaws.com'),
      description: 'Copr builder: may only write its agent log',
    });
    this.logGroup = new logs.LogGroup(this, 'AgentLogs', {
      retention: props.logRetention ?? logs.RetentionDays.ONE_MONTH,
    });
    this.logGroup.grantWrite(this.role);

    const instanceTypes = props.instanceTypes ?? DEFAULT_INSTANCE_TYPES;
    const template = (arch: Arch): ec2.LaunchTemplate => {
      const image = props.images[arch];
      const lt = new ec2.LaunchTemplate(this, `LaunchTemplate-${arch}`, {
        machineImage:
          'amiId' in image
            ? new FixedLinuxImage(image.amiId)
            : ec2.MachineImage.resolveSsmParameterAtLaunch(image.ssmParameter, { os: ec2.OperatingSystemType.LINUX }),
        instanceType: new ec2.InstanceType(instanceTypes[arch]),
        role: this.role,
        securityGroup: this.securityGroup,
        requireImdsv2: true,
        httpPutResponseHopLimit: 1,
        instanceInitiatedShutdownBehavior: ec2.InstanceInitiatedShutdownBehavior.TERMINATE,
        blockDevices: [
          {
            deviceName: '/dev/sda1',
            volume: ec2.BlockDeviceVolume.ebs(props.rootVolumeGiB ?? 80, {
              volumeType: ec2.EbsDeviceVolumeType.GP3,
              encrypted: true,
              deleteOnTermination: true,
            }),
          },
        ],
        spotOptions:
          props.spot === true
            ? {
                requestType: ec2.SpotRequestType.ONE_TIME,
                interruptionBehavior: ec2.SpotInstanceInterruption.TERMINATE,
              }
            : undefined,
      });
      Tags.of(lt).add(BUILDER_TAG_KEY, this.tagValue);
      Tags.of(lt).add('copr:arch', arch);
      return lt;
    };
    this.launchTemplates = { x86_64: template('x86_64'), aarch64: template('aarch64') };
  }

  /** JSON map arch -> launch template id (BUILDER_LAUNCH_TEMPLATES). */
  launchTemplateIdsJson(): string {
    return Stack.of(this).toJsonString({
      x86_64: this.launchTemplates.x86_64.launchTemplateId,
      aarch64: this.launchTemplates.aarch64.launchTemplateId,
    });
  }

  /**
   * RunInstances only through our launch templates, tags only while launching,
   * and PassRole only for the builder role.
   */
  grantLaunch(grantee: iam.IGrantable): void {
    const stack = Stack.of(this);
    const arn = (resource: string, account = stack.account) =>
      `arn:${stack.partition}:ec2:${stack.region}:${account}:${resource}`;
    const templateArns = Object.values(this.launchTemplates).map((lt) => arn(`launch-template/${lt.launchTemplateId}`));
    grantee.grantPrincipal.addToPrincipalPolicy(
      new iam.PolicyStatement({ sid: 'LaunchTemplates', actions: ['ec2:RunInstances'], resources: templateArns }),
    );
    grantee.grantPrincipal.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'LaunchFromOurTemplatesOnly',
        actions: ['ec2:RunInstances'],
        resources: [
          arn('instance/*'),
          arn('volume/*'),
          arn('network-interface/*'),
          arn('subnet/*'),
          arn('security-group/*'),
          arn('spot-instances-request/*'),
          arn('image/*', ''),
        ],
        conditions: { ArnLike: { 'ec2:LaunchTemplate': templateArns } },
      }),
    );
    grantee.grantPrincipal.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'TagOnLaunch',
        actions: ['ec2:CreateTags'],
        resources: [arn('instance/*'), arn('volume/*'), arn('spot-instances-request/*'), arn('network-interface/*')],
        conditions: { StringEquals: { 'ec2:CreateAction': 'RunInstances' } },
      }),
    );
    if (this.imageParameters.length > 0) {
      // EC2 resolves `resolve:ssm:` image ids with the caller's credentials, so the
      // launching role itself needs ssm:GetParameters on exactly those parameters.
      grantee.grantPrincipal.addToPrincipalPolicy(
        new iam.PolicyStatement({
          sid: 'ResolveBuilderAmiParameter',
          actions: ['ssm:GetParameters'],
          resources: this.imageParameters.map((name) => ssmParameterArn(stack, name)),
        }),
      );
    }
    grantee.grantPrincipal.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'PassBuilderRole',
        actions: ['iam:PassRole'],
        resources: [this.role.roleArn],
        conditions: { StringEquals: { 'iam:PassedToService': 'ec2.amazonaws.com' } },
      }),
    );
    const scope = policyScope(grantee);
    if (scope !== undefined) {
      const reason =
        'RunInstances creates resources whose ids are unknown in advance; every statement is bound to our ' +
        'launch templates (ec2:LaunchTemplate) or to the RunInstances call (ec2:CreateAction).';
      const resources = [
        'instance/*',
        'volume/*',
        'network-interface/*',
        'subnet/*',
        'security-group/*',
        'spot-instances-request/*',
      ];
      acknowledge(
        scope,
        ...resources.map((r) => ({
          id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:ec2:<AWS::Region>:<AWS::AccountId>:${r}]`,
          reason,
        })),
        { id: 'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:ec2:<AWS::Region>::image/*]', reason },
      );
    }
  }

  /** Terminate (cancel, reap) only instances carrying our builder tag; describe to see their state. */
  grantTerminate(grantee: iam.IGrantable): void {
    const stack = Stack.of(this);
    grantee.grantPrincipal.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'TerminateOurBuilders',
        actions: ['ec2:TerminateInstances'],
        resources: [`arn:${stack.partition}:ec2:${stack.region}:${stack.account}:instance/*`],
        conditions: { StringEquals: { [`ec2:ResourceTag/${BUILDER_TAG_KEY}`]: this.tagValue } },
      }),
    );
    grantee.grantPrincipal.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'DescribeInstances',
        actions: ['ec2:DescribeInstances'],
        // DescribeInstances supports no resource-level restriction.
        resources: ['*'],
      }),
    );
    const scope = policyScope(grantee);
    if (scope !== undefined) {
      acknowledge(
        scope,
        {
          id: 'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:ec2:<AWS::Region>:<AWS::AccountId>:instance/*]',
          reason: `Terminate is conditioned on the tag ${BUILDER_TAG_KEY} that only our launch templates set.`,
        },
        { id: 'AwsSolutions-IAM5[Resource::*]', reason: 'ec2:DescribeInstances supports no resource-level permissions.' },
      );
    }
  }
}
