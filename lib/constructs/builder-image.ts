import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Stack } from 'aws-cdk-lib';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as imagebuilder from 'aws-cdk-lib/aws-imagebuilder';
import * as s3assets from 'aws-cdk-lib/aws-s3-assets';
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
  /** The bundled builder agent (lib/agent-bundle.ts), uploaded as an S3 asset the recipe installs. */
  readonly agentBundlePath: string;
  /** AMIs (with their snapshots) kept per architecture; older ones are deleted. @default 3 */
  readonly keepImages?: number;
}

/** Component parameter that carries the agent bundle's S3 URI (builder-ami/recipe/builder-component.yaml). */
export const AGENT_BUNDLE_PARAMETER = 'AgentBundleS3Uri';

/** Tag on every builder AMI this stack bakes; the lifecycle policy selects images by it. */
export const BUILDER_AMI_TAG = 'copr:builder-ami';

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
            - dnf -y install mock rpm-build rpmdevtools git nodejs awscli2
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
  public readonly lifecyclePolicy: imagebuilder.CfnLifecyclePolicy;

  constructor(scope: Construct, id: string, props: BuilderImageProps) {
    super(scope, id);
    const stackName = Stack.of(this).stackName;
    const docs = readComponents(props.recipeDir);
    const components = docs.map((doc, i) => {
      const hash = hashOf(doc.data);
      const cfn = new imagebuilder.CfnComponent(this, `Component${i}`, {
        name: `${stackName}-${doc.name}-${hash.slice(0, 8)}`,
        platform: 'Linux',
        version: versionOf(hash),
        data: doc.data,
        description: `Copr builder component from builder-ami/recipe/${doc.name}`,
      });
      return { doc, cfn };
    });

    // The agent, bundled at synth time; the recipe passes its S3 URI to the components
    // that declare the parameter, and the build instance role may read exactly it.
    const agent = new s3assets.Asset(this, 'AgentBundle', { path: props.agentBundlePath });
    const supplied: Record<string, string> = { [AGENT_BUNDLE_PARAMETER]: agent.s3ObjectUrl };

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
    agent.grantRead(this.instanceRole);
    acknowledge(
      this.instanceRole,
      ...['Action::s3:GetObject*', 'Action::s3:GetBucket*', 'Action::s3:List*'].map((a) => ({
        id: `AwsSolutions-IAM5[${a}]`,
        reason: 'CDK asset read grant: the image build downloads the agent bundle from the CDK assets bucket.',
      })),
      {
        id: 'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:s3:::cdk-hnb659fds-assets-<AWS::AccountId>-<AWS::Region>/*]',
        reason: 'CDK asset read grant: the assets bucket keys are content hashes, unknown before synth.',
      },
    );
    const profile = new iam.CfnInstanceProfile(this, 'InstanceProfile', { roles: [this.instanceRole.roleName] });

    const instanceTypes = props.instanceTypes ?? { x86_64: 'm7i.large', aarch64: 'm7g.large' };
    const pipeline = (arch: Arch): imagebuilder.CfnImagePipeline => {
      const parent = props.parentImages[arch];
      const parentImage = parent.startsWith('/') ? `ssm:${parent}` : parent;
      // The agent's asset hash is part of it: a new agent makes a new recipe version.
      const recipeHash = hashOf(parentImage, ...docs.map((d) => d.data), String(props.rootVolumeGiB ?? 80), agent.assetHash);
      const recipe = new imagebuilder.CfnImageRecipe(this, `Recipe-${arch}`, {
        name: `${stackName}-builder-${arch}-${recipeHash.slice(0, 8)}`,
        version: versionOf(recipeHash),
        parentImage,
        components: components.map(({ doc, cfn }) => ({
          componentArn: cfn.attrArn,
          ...componentParameters(doc, supplied),
        })),
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
            amiDistributionConfiguration: {
              Name: `copr-builder-${arch}-{{ imagebuilder:buildDate }}`,
              AmiTags: { [BUILDER_AMI_TAG]: stackName },
            },
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
        // Image Builder images carry the pipeline's tags; the lifecycle policy selects by them.
        tags: { [BUILDER_AMI_TAG]: stackName },
      });
    };
    const entries = ARCHES.map((arch) => [arch, pipeline(arch)] as const);
    this.pipelines = Object.fromEntries(entries) as Record<Arch, imagebuilder.CfnImagePipeline>;
    this.lifecyclePolicy = this.addLifecyclePolicy(stackName, props.keepImages ?? 3);
  }

  /**
   * A weekly rebuild per architecture would pile up AMIs and their EBS snapshots;
   * keep the newest `keep` images per architecture (recipe) and delete the rest,
   * AMIs and snapshots both. Launch templates resolve the newest through SSM.
   */
  private addLifecyclePolicy(stackName: string, keep: number): imagebuilder.CfnLifecyclePolicy {
    const role = new iam.Role(this, 'LifecycleRole', {
      assumedBy: new iam.ServicePrincipal('imagebuilder.amazonaws.com'),
      managedPolicies: [
        iam.ManagedPolicy.fromAwsManagedPolicyName('service-role/EC2ImageBuilderLifecycleExecutionPolicy'),
      ],
    });
    acknowledge(role, {
      id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/EC2ImageBuilderLifecycleExecutionPolicy]',
      reason: 'The AWS-maintained policy Image Builder lifecycle policies are designed to run with (deregister, delete snapshots).',
    });
    return new imagebuilder.CfnLifecyclePolicy(this, 'Lifecycle', {
      name: `${stackName}-builder-amis`,
      description: `Keep the ${keep} newest Copr builder AMIs per architecture`,
      executionRole: role.roleArn,
      resourceType: 'AMI_IMAGE',
      status: 'ENABLED',
      policyDetails: [
        {
          action: { type: 'DELETE', includeResources: { amis: true, snapshots: true } },
          filter: { type: 'COUNT', value: keep },
        },
      ],
      resourceSelection: { tagMap: { [BUILDER_AMI_TAG]: stackName } },
    });
  }
}

/**
 * Parameters a component document declares (`parameters:` list of AWSTOE), with
 * whether each has a default. A small reader for exactly that block, so the stack
 * needs no YAML parser: `  - Name:` items and their indented `default:` key.
 */
export function declaredParameters(doc: string): Array<{ name: string; hasDefault: boolean }> {
  const lines = doc.split('\n');
  const start = lines.findIndex((l) => /^parameters:\s*$/.test(l));
  if (start === -1) return [];
  const out: Array<{ name: string; hasDefault: boolean }> = [];
  let current: { name: string; hasDefault: boolean } | undefined;
  for (const line of lines.slice(start + 1)) {
    if (/^\S/.test(line)) break; // next top-level key
    const item = /^\s*-\s*([A-Za-z0-9_]+):\s*$/.exec(line);
    if (item?.[1] !== undefined) {
      current = { name: item[1], hasDefault: false };
      out.push(current);
    } else if (/^\s+default:/.test(line) && current !== undefined) {
      current.hasDefault = true;
    }
  }
  return out;
}

/**
 * The `parameters` a recipe passes to one component: every declared parameter we
 * have a value for. A parameter without default and without a value fails synth
 * (Image Builder would only fail the image build, days later).
 */
function componentParameters(
  doc: ComponentDoc,
  supplied: Readonly<Record<string, string>>,
): { parameters?: imagebuilder.CfnImageRecipe.ComponentParameterProperty[] } {
  const parameters: imagebuilder.CfnImageRecipe.ComponentParameterProperty[] = [];
  for (const p of declaredParameters(doc.data)) {
    const value = supplied[p.name];
    if (value !== undefined) parameters.push({ name: p.name, value: [value] });
    else if (!p.hasDefault) throw new Error(`component ${doc.name} needs parameter ${p.name}, which the stack does not supply`);
  }
  return parameters.length === 0 ? {} : { parameters };
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
