import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Stack } from 'aws-cdk-lib';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as imagebuilder from 'aws-cdk-lib/aws-imagebuilder';
import { Construct } from 'constructs';
import { acknowledge } from '../nag.js';
import { ARCHES, type Arch } from '../settings.js';

export interface BuilderImageProps {
  /** Directory with AWSTOE component documents (`*.yml`), read at synth time. */
  readonly recipeDir: string;
  /** Parent image per architecture: an AMI id or an SSM parameter name (`/...`). */
  readonly parentImages: Readonly<Record<Arch, string>>;
  /** SSM parameter per architecture that receives the id of each new AMI. */
  readonly outputParameters: Readonly<Record<Arch, string>>;
  /** Subnet and security group of the build instances (outbound internet needed). */
  readonly subnetId: string;
  readonly securityGroup: ec2.ISecurityGroup;
  /** @default { x86_64: 'm7i.large', aarch64: 'm7g.large' } */
  readonly instanceTypes?: Readonly<Record<Arch, string>>;
  /** Rebuild schedule (Image Builder cron). @default weekly, Sunday 04:00 UTC */
  readonly scheduleExpression?: string;
  /** Root volume of the AMI in GiB. @default 80 */
  readonly rootVolumeGiB?: number;
}

/** A component document: file name (or 'inline') and YAML text. */
interface ComponentDoc {
  readonly name: string;
  readonly data: string;
}

// Used only when builder-ami/recipe/ has no component yet, so the pipeline always synthesizes.
const FALLBACK_COMPONENT = `name: copr-builder-minimal
description: Minimal Copr builder (mock and rpm-build); replaced by builder-ami/recipe/*.yml
schemaVersion: 1.0
phases:
  - name: build
    steps:
      - name: InstallBuildTools
        action: ExecuteBash
        inputs:
          commands:
            - dnf -y install mock rpm-build rpmdevtools git nodejs
            - useradd -m -G mock builder || true
`;

/** Short, stable content hash: versions and names of immutable Image Builder resources. */
const hashOf = (...parts: string[]): string => createHash('sha256').update(parts.join('\0')).digest('hex');

/** Image Builder versions are x.y.z; derive one from content so any change makes a new version. */
const versionOf = (hash: string): string => `1.0.${Number.parseInt(hash.slice(0, 7), 16)}`;

/**
 * EC2 Image Builder pipelines (one per architecture) that bake the builder AMI
 * from a Fedora parent image and the component documents in builder-ami/recipe/,
 * then write the new AMI id to an SSM parameter the launch templates resolve at
 * launch. Components and recipes are immutable in Image Builder, so their name
 * and version are derived from their content.
 */
export class BuilderImage extends Construct {
  public readonly pipelines: Readonly<Record<Arch, imagebuilder.CfnImagePipeline>>;
  public readonly instanceRole: iam.Role;

  constructor(scope: Construct, id: string, props: BuilderImageProps) {
    super(scope, id);
    const stackName = Stack.of(this).stackName;
    const docs = readComponents(props.recipeDir);
    const components = docs.map((doc, i) => {
      const hash = hashOf(doc.data);
      return new imagebuilder.CfnComponent(this, `Component${i}`, {
        name: `${stackName}-${doc.name}-${hash.slice(0, 8)}`,
        platform: 'Linux',
        version: versionOf(hash),
        data: doc.data,
        description: `Copr builder component from builder-ami/recipe/${doc.name}`,
      });
    });

    this.instanceRole = new iam.Role(this, 'InstanceRole', {
      assumedBy: new iam.ServicePrincipal('ec2.amazonaws.com'),
      managedPolicies: [
        iam.ManagedPolicy.fromAwsManagedPolicyName('EC2InstanceProfileForImageBuilder'),
        iam.ManagedPolicy.fromAwsManagedPolicyName('AmazonSSMManagedInstanceCore'),
      ],
    });
    const reason = 'Image Builder build instances need exactly these AWS-maintained policies (SSM agent, TOE).';
    acknowledge(
      this.instanceRole,
      { id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/EC2InstanceProfileForImageBuilder]', reason },
      { id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/AmazonSSMManagedInstanceCore]', reason },
    );
    const profile = new iam.CfnInstanceProfile(this, 'InstanceProfile', { roles: [this.instanceRole.roleName] });

    const instanceTypes = props.instanceTypes ?? { x86_64: 'm7i.large', aarch64: 'm7g.large' };
    const pipeline = (arch: Arch): imagebuilder.CfnImagePipeline => {
      const parent = props.parentImages[arch];
      const parentImage = parent.startsWith('/') ? `ssm:${parent}` : parent;
      const recipeHash = hashOf(parentImage, ...docs.map((d) => d.data), String(props.rootVolumeGiB ?? 80));
      const recipe = new imagebuilder.CfnImageRecipe(this, `Recipe-${arch}`, {
        name: `${stackName}-builder-${arch}-${recipeHash.slice(0, 8)}`,
        version: versionOf(recipeHash),
        parentImage,
        components: components.map((c) => ({ componentArn: c.attrArn })),
        blockDeviceMappings: [
          {
            deviceName: '/dev/sda1',
            ebs: { volumeSize: props.rootVolumeGiB ?? 80, volumeType: 'gp3', encrypted: true, deleteOnTermination: true },
          },
        ],
      });
      const infra = new imagebuilder.CfnInfrastructureConfiguration(this, `Infra-${arch}`, {
        name: `${stackName}-builder-${arch}`,
        instanceProfileName: profile.ref,
        instanceTypes: [instanceTypes[arch]],
        subnetId: props.subnetId,
        securityGroupIds: [props.securityGroup.securityGroupId],
        terminateInstanceOnFailure: true,
        instanceMetadataOptions: { httpTokens: 'required', httpPutResponseHopLimit: 1 },
      });
      const distribution = new imagebuilder.CfnDistributionConfiguration(this, `Distribution-${arch}`, {
        name: `${stackName}-builder-${arch}`,
        distributions: [
          {
            region: Stack.of(this).region,
            amiDistributionConfiguration: { Name: `copr-builder-${arch}-{{ imagebuilder:buildDate }}` },
            ssmParameterConfigurations: [{ parameterName: props.outputParameters[arch], dataType: 'aws:ec2:image' }],
          },
        ],
      });
      return new imagebuilder.CfnImagePipeline(this, `Pipeline-${arch}`, {
        name: `${stackName}-builder-${arch}`,
        description: `Copr builder AMI (${arch})`,
        imageRecipeArn: recipe.attrArn,
        infrastructureConfigurationArn: infra.attrArn,
        distributionConfigurationArn: distribution.attrArn,
        status: 'ENABLED',
        schedule: {
          scheduleExpression: props.scheduleExpression ?? 'cron(0 4 ? * sun *)',
          pipelineExecutionStartCondition: 'EXPRESSION_MATCH_ONLY',
        },
        imageTestsConfiguration: { imageTestsEnabled: true, timeoutMinutes: 60 },
      });
    };
    const entries = ARCHES.map((arch) => [arch, pipeline(arch)] as const);
    this.pipelines = Object.fromEntries(entries) as Record<Arch, imagebuilder.CfnImagePipeline>;
  }
}

/** Component documents in file-name order, or the inline fallback if there are none. */
function readComponents(dir: string): ComponentDoc[] {
  const files = fs.existsSync(dir)
    ? fs
        .readdirSync(dir)
        .filter((f) => f.endsWith('.yml') || f.endsWith('.yaml'))
        .sort()
    : [];
  if (files.length === 0) return [{ name: 'inline', data: FALLBACK_COMPONENT }];
  return files.map((f) => ({
    // Image Builder names allow letters, digits, '-', '_' and spaces.
    name: path.basename(f).replace(/\.ya?ml$/, '').replace(/[^-_A-Za-z0-9]/g, '-'),
    data: fs.readFileSync(path.join(dir, f), 'utf8'),
  }));
}
