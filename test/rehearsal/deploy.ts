import { CreateTableCommand, DynamoDBClient, UpdateTimeToLiveCommand, type CreateTableCommandInput } from '@aws-sdk/client-dynamodb';
import {
  AttachInternetGatewayCommand,
  AssociateRouteTableCommand,
  CreateInternetGatewayCommand,
  CreateLaunchTemplateCommand,
  CreateRouteCommand,
  CreateRouteTableCommand,
  CreateSecurityGroupCommand,
  CreateSubnetCommand,
  CreateVpcCommand,
  DescribeImagesCommand,
  EC2Client,
  type RequestLaunchTemplateData,
} from '@aws-sdk/client-ec2';
import { CreateClusterCommand, ECSClient, RegisterTaskDefinitionCommand, type RegisterTaskDefinitionCommandInput } from '@aws-sdk/client-ecs';
import { CreateEventBusCommand, EventBridgeClient, PutRuleCommand } from '@aws-sdk/client-eventbridge';
import { CreateAliasCommand, CreateKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { CreateQueueCommand, GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { jsonCall, queryCall, xmlValue } from './aws-raw.js';
import { ACCOUNT, creationOrder, REGION, Resolver, STACK_NAME, type Template } from './cfn.js';
import type { Emulators } from './emulators.js';

/**
 * "cdk deploy" into the emulators: each resource of the synthesized template is
 * created from its own properties (after its dependencies, with intrinsics resolved
 * to the emulated physical ids), or stood in for by a part of the rehearsal, or
 * listed as not emulated with the reason. Every type in the template gets a line.
 */
export type Standing =
  | { readonly kind: 'moto' | 'dynamodb-local' | 'fauxqs' }
  | { readonly kind: 'stood-in'; readonly by: string }
  | { readonly kind: 'not-emulated'; readonly reason: string };

export interface DeployedResource {
  readonly logicalId: string;
  readonly type: string;
  readonly standing: Standing;
}

/** Addresses of the rehearsal's own stand-ins, known before the deployment. */
export interface StandInAddresses {
  /** host:port of the CloudFront stand-in of each distribution (by logical id). */
  readonly distributions: Record<string, string>;
  /** http://host:port of the API Gateway stand-in. */
  readonly httpApi: string;
  /** http://host:port that the functions' SDK calls go to (the IAM-checking gateway). */
  readonly gateway: string;
  /** http://host:port of the stand-in of each Lambda function URL (by logical id). */
  readonly functionUrls: Record<string, string>;
}

export interface Deployment {
  readonly template: Template;
  readonly resolver: Resolver;
  readonly resources: DeployedResource[];
  /** The AMI the SSM parameters of the builder image point to (a moto image). */
  readonly builderAmi: string;
  /** Logical id of the KMS key by key id (for resolving KMS resources). */
  readonly kmsKeys: Map<string, string>;
  /** Queues by the URL the functions know (the gateway's), with fauxqs' own URL. */
  readonly queues: Map<string, QueueInfo>;
}

export interface QueueInfo {
  readonly logicalId: string;
  readonly backendUrl: string;
  readonly arn: string;
  readonly name: string;
}

const credentials = { accessKeyId: 'RehearsalDeployer', secretAccessKey: 'rehearsal' };

const shortHash = (s: string) => {
  let h = 0;
  for (const c of s) h = (h * 31 + c.charCodeAt(0)) >>> 0;
  return h.toString(36).toUpperCase().padStart(6, '0').slice(0, 6);
};
/** CloudFormation-style physical name: stack-logicalId-suffix. */
const physicalName = (logicalId: string, max = 80) => `${STACK_NAME}-${logicalId}`.slice(0, max - 7) + `-${shortHash(logicalId)}`;

type Props = Record<string, unknown>;
type Tag = { Key: string; Value: string };

export async function deploy(template: Template, emu: Emulators, addresses: StandInAddresses): Promise<Deployment> {
  const r = new Resolver(template);
  const region = REGION;
  const ddb = new DynamoDBClient({ endpoint: emu.dynamodb, region, credentials });
  const sqs = new SQSClient({ endpoint: emu.fauxqs, region, credentials });
  const s3 = new S3Client({ endpoint: emu.fauxqs, region, credentials, forcePathStyle: true });
  const ec2 = new EC2Client({ endpoint: emu.moto, region, credentials });
  const ecs = new ECSClient({ endpoint: emu.moto, region, credentials });
  const kms = new KMSClient({ endpoint: emu.moto, region, credentials });
  const events = new EventBridgeClient({ endpoint: emu.moto, region, credentials });
  const kmsKeys = new Map<string, string>();
  const queues = new Map<string, QueueInfo>();

  // The builder AMI: Image Builder is not emulated, so the SSM parameters its
  // distribution configuration would write point at one of moto's stock images.
  const images = await ec2.send(new DescribeImagesCommand({ Owners: ['amazon'] }));
  const builderAmi = images.Images?.find((i) => i.Architecture === 'x86_64')?.ImageId ?? images.Images?.[0]?.ImageId;
  if (!builderAmi) throw new Error('moto offers no AMI');

  // Image Builder's distribution configuration would write these once the first image exists.
  for (const res of Object.values(template.Resources)) {
    if (res.Type !== 'AWS::EC2::LaunchTemplate') continue;
    const imageId = (res.Properties?.LaunchTemplateData as Props | undefined)?.ImageId;
    if (typeof imageId === 'string' && imageId.startsWith('resolve:ssm:')) {
      await jsonCall(emu.moto, 'ssm', 'AmazonSSM.PutParameter', { Name: imageId.slice('resolve:ssm:'.length), Value: builderAmi, Type: 'String', DataType: 'aws:ec2:image', Overwrite: true });
    }
  }

  const resources: DeployedResource[] = [];
  const stood = (by: string): Standing => ({ kind: 'stood-in', by });
  const notEmulated = (reason: string): Standing => ({ kind: 'not-emulated', reason });

  for (const id of creationOrder(template)) {
    const res = template.Resources[id];
    if (!res) continue;
    const p = (res.Properties ?? {}) as Props;
    const v = <T = unknown>(key: string): T => r.resolve(p[key]) as T;
    let standing: Standing;
    switch (res.Type) {
      case 'AWS::DynamoDB::Table': {
        const name = (p.TableName as string | undefined) ? r.resolveString(p.TableName) : physicalName(id);
        const gsis = v<CreateTableCommandInput['GlobalSecondaryIndexes']>('GlobalSecondaryIndexes');
        await ddb.send(
          new CreateTableCommand({
            TableName: name,
            AttributeDefinitions: v('AttributeDefinitions'),
            KeySchema: v('KeySchema'),
            BillingMode: v<'PAY_PER_REQUEST' | undefined>('BillingMode') ?? 'PROVISIONED',
            ...(gsis ? { GlobalSecondaryIndexes: gsis } : {}),
            ...(p.StreamSpecification ? { StreamSpecification: { StreamEnabled: true, ...v<Props>('StreamSpecification') } } : {}),
          }),
        );
        const ttl = v<{ AttributeName: string; Enabled: boolean } | undefined>('TimeToLiveSpecification');
        if (ttl) await ddb.send(new UpdateTimeToLiveCommand({ TableName: name, TimeToLiveSpecification: ttl }));
        r.set(id, name, { Arn: `arn:aws:dynamodb:${region}:${ACCOUNT}:table/${name}`, StreamArn: `arn:aws:dynamodb:${region}:${ACCOUNT}:table/${name}/stream/rehearsal` });
        standing = { kind: 'dynamodb-local' };
        break;
      }
      case 'AWS::SQS::Queue': {
        const fifo = v<boolean | undefined>('FifoQueue') === true;
        const name = p.QueueName ? r.resolveString(p.QueueName) : physicalName(id, fifo ? 75 : 80) + (fifo ? '.fifo' : '');
        const attrs: Record<string, string> = {};
        for (const k of ['FifoQueue', 'ContentBasedDeduplication', 'VisibilityTimeout', 'MessageRetentionPeriod', 'DelaySeconds', 'ReceiveMessageWaitTimeSeconds', 'MaximumMessageSize']) {
          if (p[k] !== undefined) attrs[k] = String(v(k));
        }
        if (p.RedrivePolicy) attrs.RedrivePolicy = JSON.stringify(v('RedrivePolicy'));
        const created = await sqs.send(new CreateQueueCommand({ QueueName: name, Attributes: attrs }));
        const backendUrl = created.QueueUrl ?? '';
        const got = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: backendUrl, AttributeNames: ['QueueArn'] }));
        const arn = got.Attributes?.QueueArn ?? `arn:aws:sqs:${region}:${ACCOUNT}:${name}`;
        // The URL the functions get names the gateway, as a real one names the SQS endpoint.
        const url = `${addresses.gateway}/${ACCOUNT}/${name}`;
        queues.set(url, { logicalId: id, backendUrl, arn, name });
        r.set(id, url, { Arn: arn, QueueName: name, QueueUrl: url });
        standing = { kind: 'fauxqs' };
        break;
      }
      case 'AWS::S3::Bucket': {
        const name = p.BucketName ? r.resolveString(p.BucketName) : physicalName(id, 63).toLowerCase();
        await s3.send(new CreateBucketCommand({ Bucket: name }));
        r.set(id, name, {
          Arn: `arn:aws:s3:::${name}`,
          DomainName: `${name}.s3.amazonaws.com`,
          RegionalDomainName: `${name}.s3.${region}.amazonaws.com`,
          WebsiteURL: `http://${name}.s3-website-${region}.amazonaws.com`,
        });
        standing = { kind: 'fauxqs' };
        break;
      }
      case 'AWS::S3::BucketPolicy':
      case 'AWS::SQS::QueuePolicy':
      case 'AWS::SNS::TopicPolicy':
        r.resolve(p); // every reference must resolve, as CloudFormation would check
        r.set(id, physicalName(id));
        standing = res.Type === 'AWS::S3::BucketPolicy' ? stood('the CloudFront stand-in (origin access of the bucket policy)') : notEmulated('resource policy; the IAM check evaluates the callers\' identity policies (same account)');
        break;
      case 'AWS::Events::EventBus': {
        const name = r.resolveString(p.Name);
        const out = await events.send(new CreateEventBusCommand({ Name: name }));
        r.set(id, name, { Arn: out.EventBusArn ?? '', Name: name });
        standing = { kind: 'moto' };
        break;
      }
      case 'AWS::Events::Rule': {
        const name = physicalName(id, 64);
        const out = await events.send(
          new PutRuleCommand({ Name: name, ScheduleExpression: v('ScheduleExpression'), State: 'ENABLED', Description: v('Description'), EventBusName: p.EventBusName ? r.resolveString(p.EventBusName) : undefined }),
        );
        r.set(id, name, { Arn: out.RuleArn ?? '' });
        standing = { kind: 'moto' };
        break;
      }
      case 'AWS::KMS::Key': {
        const out = await kms.send(new CreateKeyCommand({ Description: v('Description'), Policy: JSON.stringify(v('KeyPolicy')), KeyUsage: 'ENCRYPT_DECRYPT' }));
        const keyId = out.KeyMetadata?.KeyId ?? '';
        kmsKeys.set(keyId, id);
        r.set(id, keyId, { Arn: out.KeyMetadata?.Arn ?? '', KeyId: keyId });
        standing = { kind: 'moto' };
        break;
      }
      case 'AWS::KMS::Alias': {
        const name = r.resolveString(p.AliasName);
        const target = r.resolveString(p.TargetKeyId);
        await kms.send(new CreateAliasCommand({ AliasName: name, TargetKeyId: target.split('/').pop() ?? target }));
        r.set(id, name);
        standing = { kind: 'moto' };
        break;
      }
      case 'AWS::EC2::VPC': {
        const out = await ec2.send(new CreateVpcCommand({ CidrBlock: v('CidrBlock') }));
        const vpcId = out.Vpc?.VpcId ?? '';
        r.set(id, vpcId, { VpcId: vpcId, CidrBlock: v('CidrBlock'), DefaultSecurityGroup: '' });
        standing = { kind: 'moto' };
        break;
      }
      case 'AWS::EC2::Subnet': {
        const out = await ec2.send(new CreateSubnetCommand({ VpcId: v('VpcId'), CidrBlock: v('CidrBlock'), AvailabilityZone: v('AvailabilityZone') }));
        const subnetId = out.Subnet?.SubnetId ?? '';
        r.set(id, subnetId, { SubnetId: subnetId, AvailabilityZone: out.Subnet?.AvailabilityZone ?? '' });
        standing = { kind: 'moto' };
        break;
      }
      case 'AWS::EC2::InternetGateway': {
        const out = await ec2.send(new CreateInternetGatewayCommand({}));
        const igw = out.InternetGateway?.InternetGatewayId ?? '';
        r.set(id, igw, { InternetGatewayId: igw });
        standing = { kind: 'moto' };
        break;
      }
      case 'AWS::EC2::VPCGatewayAttachment':
        await ec2.send(new AttachInternetGatewayCommand({ VpcId: v('VpcId'), InternetGatewayId: v('InternetGatewayId') }));
        r.set(id, physicalName(id));
        standing = { kind: 'moto' };
        break;
      case 'AWS::EC2::RouteTable': {
        const out = await ec2.send(new CreateRouteTableCommand({ VpcId: v('VpcId') }));
        const rt = out.RouteTable?.RouteTableId ?? '';
        r.set(id, rt, { RouteTableId: rt });
        standing = { kind: 'moto' };
        break;
      }
      case 'AWS::EC2::Route':
        await ec2.send(new CreateRouteCommand({ RouteTableId: v('RouteTableId'), DestinationCidrBlock: v('DestinationCidrBlock'), GatewayId: v('GatewayId') }));
        r.set(id, physicalName(id));
        standing = { kind: 'moto' };
        break;
      case 'AWS::EC2::SubnetRouteTableAssociation': {
        const out = await ec2.send(new AssociateRouteTableCommand({ RouteTableId: v('RouteTableId'), SubnetId: v('SubnetId') }));
        r.set(id, out.AssociationId ?? '');
        standing = { kind: 'moto' };
        break;
      }
      case 'AWS::EC2::SecurityGroup': {
        const out = await ec2.send(new CreateSecurityGroupCommand({ GroupName: physicalName(id), Description: v('GroupDescription'), VpcId: v('VpcId') }));
        const gid = out.GroupId ?? '';
        r.set(id, gid, { GroupId: gid, VpcId: v('VpcId') });
        standing = { kind: 'moto' };
        break;
      }
      case 'AWS::EC2::FlowLog':
        r.resolve(p);
        r.set(id, physicalName(id));
        standing = notEmulated('VPC flow logs record traffic; nothing in the rehearsal reads them');
        break;
      case 'AWS::IAM::Role': {
        const name = p.RoleName ? r.resolveString(p.RoleName) : physicalName(id, 64);
        const xml = await queryCall(emu.moto, 'iam', 'CreateRole', '2010-05-08', {
          RoleName: name,
          AssumeRolePolicyDocument: JSON.stringify(v('AssumeRolePolicyDocument')),
        });
        const arn = xmlValue(xml, 'Arn');
        const managed = v<string[] | undefined>('ManagedPolicyArns') ?? [];
        void managed; // AWS-managed policies are not in moto's IAM; the roles that carry them run no rehearsed code
        r.set(id, name, { Arn: arn, RoleId: xmlValue(xml, 'RoleId') });
        standing = { kind: 'moto' };
        break;
      }
      case 'AWS::IAM::Policy': {
        const doc = JSON.stringify(v('PolicyDocument'));
        const name = r.resolveString(p.PolicyName);
        for (const role of v<string[] | undefined>('Roles') ?? []) {
          await queryCall(emu.moto, 'iam', 'PutRolePolicy', '2010-05-08', { RoleName: role, PolicyName: name, PolicyDocument: doc });
        }
        r.set(id, name);
        standing = { kind: 'moto' };
        break;
      }
      case 'AWS::IAM::InstanceProfile': {
        const name = physicalName(id, 128);
        const xml = await queryCall(emu.moto, 'iam', 'CreateInstanceProfile', '2010-05-08', { InstanceProfileName: name });
        for (const role of v<string[]>('Roles')) {
          await queryCall(emu.moto, 'iam', 'AddRoleToInstanceProfile', '2010-05-08', { InstanceProfileName: name, RoleName: role });
        }
        r.set(id, name, { Arn: xmlValue(xml, 'Arn') });
        standing = { kind: 'moto' };
        break;
      }
      case 'AWS::Logs::LogGroup': {
        const name = p.LogGroupName ? r.resolveString(p.LogGroupName) : physicalName(id, 512);
        await jsonCall(emu.moto, 'logs', 'Logs_20140328.CreateLogGroup', { logGroupName: name });
        r.set(id, name, { Arn: `arn:aws:logs:${region}:${ACCOUNT}:log-group:${name}:*` });
        standing = { kind: 'moto' };
        break;
      }
      case 'AWS::EC2::LaunchTemplate': {
        const name = p.LaunchTemplateName ? r.resolveString(p.LaunchTemplateName) : physicalName(id, 128);
        const data = v<RequestLaunchTemplateData>('LaunchTemplateData');
        const out = await ec2.send(new CreateLaunchTemplateCommand({ LaunchTemplateName: name, LaunchTemplateData: data }));
        const ltId = out.LaunchTemplate?.LaunchTemplateId ?? '';
        r.set(id, ltId, { LaunchTemplateId: ltId, LatestVersionNumber: '1', DefaultVersionNumber: '1' });
        standing = { kind: 'moto' };
        break;
      }
      case 'AWS::ECS::Cluster': {
        const out = await ecs.send(new CreateClusterCommand({ clusterName: physicalName(id) }));
        const arn = out.cluster?.clusterArn ?? '';
        r.set(id, out.cluster?.clusterName ?? '', { Arn: arn });
        standing = { kind: 'moto' };
        break;
      }
      case 'AWS::ECS::TaskDefinition': {
        const lower = (o: unknown): unknown =>
          Array.isArray(o) ? o.map(lower) : o && typeof o === 'object' ? Object.fromEntries(Object.entries(o).map(([k, x]) => [k === 'Options' ? 'options' : k.charAt(0).toLowerCase() + k.slice(1), k === 'Options' ? x : lower(x)])) : o;
        const input = lower(r.resolve(p)) as RegisterTaskDefinitionCommandInput & { tags?: unknown };
        delete input.tags;
        // moto sums container-level memory when it places a task; Fargate needs only the task's.
        for (const c of input.containerDefinitions ?? []) {
          if (c.memory === undefined && c.memoryReservation === undefined) c.memory = Number(input.memory ?? 512);
        }
        const out = await ecs.send(new RegisterTaskDefinitionCommand(input));
        r.set(id, out.taskDefinition?.taskDefinitionArn ?? '');
        standing = { kind: 'moto' };
        break;
      }
      case 'AWS::SNS::Topic': {
        const xml = await queryCall(emu.moto, 'sns', 'CreateTopic', '2010-03-31', { Name: physicalName(id, 256) });
        const arn = xmlValue(xml, 'TopicArn');
        r.set(id, arn, { TopicArn: arn, TopicName: arn.split(':').pop() ?? '' });
        standing = { kind: 'moto' };
        break;
      }
      case 'AWS::Cognito::UserPool': {
        const out = await jsonCall<{ UserPool: { Id: string; Arn: string } }>(emu.moto, 'cognito-idp', 'AWSCognitoIdentityProviderService.CreateUserPool', {
          PoolName: p.UserPoolName ? r.resolveString(p.UserPoolName) : physicalName(id),
          ...(p.UsernameAttributes ? { UsernameAttributes: v('UsernameAttributes') } : {}),
          ...(p.AutoVerifiedAttributes ? { AutoVerifiedAttributes: v('AutoVerifiedAttributes') } : {}),
        });
        const poolId = out.UserPool.Id;
        r.set(id, poolId, {
          Arn: out.UserPool.Arn,
          ProviderName: `cognito-idp.${region}.amazonaws.com/${poolId}`,
          ProviderURL: `https://cognito-idp.${region}.amazonaws.com/${poolId}`,
          UserPoolId: poolId,
        });
        standing = { kind: 'moto' };
        break;
      }
      case 'AWS::Cognito::UserPoolClient': {
        const keys = ['ClientName', 'GenerateSecret', 'ExplicitAuthFlows', 'AllowedOAuthFlows', 'AllowedOAuthScopes', 'AllowedOAuthFlowsUserPoolClient', 'CallbackURLs', 'LogoutURLs', 'SupportedIdentityProviders', 'AccessTokenValidity', 'IdTokenValidity', 'RefreshTokenValidity', 'TokenValidityUnits', 'PreventUserExistenceErrors'];
        const body: Props = { UserPoolId: v('UserPoolId'), ClientName: physicalName(id) };
        for (const k of keys) if (p[k] !== undefined) body[k] = v(k);
        const out = await jsonCall<{ UserPoolClient: { ClientId: string } }>(emu.moto, 'cognito-idp', 'AWSCognitoIdentityProviderService.CreateUserPoolClient', body);
        r.set(id, out.UserPoolClient.ClientId, { ClientId: out.UserPoolClient.ClientId });
        standing = { kind: 'moto' };
        break;
      }
      case 'AWS::Cognito::UserPoolDomain': {
        const domain = r.resolveString(p.Domain);
        await jsonCall(emu.moto, 'cognito-idp', 'AWSCognitoIdentityProviderService.CreateUserPoolDomain', { Domain: domain, UserPoolId: v('UserPoolId') });
        r.set(id, domain, { CloudFrontDistribution: `${domain}.auth.${region}.amazoncognito.com` });
        standing = { kind: 'moto' };
        break;
      }
      case 'AWS::Lambda::Function': {
        const name = p.FunctionName ? r.resolveString(p.FunctionName) : physicalName(id, 64);
        r.set(id, name, { Arn: `arn:aws:lambda:${region}:${ACCOUNT}:function:${name}` });
        standing = String(p.Runtime ?? '').startsWith('nodejs')
          ? stood('its synthesized bundle from cdk.out, run in a child process with the template\'s environment')
          : stood('the rehearsal copying its deployment\'s assets (CDK helper function, not the project\'s code)');
        break;
      }
      case 'AWS::Lambda::Url': {
        const url = addresses.functionUrls[id];
        if (!url) throw new Error(`no function URL stand-in for ${id}`);
        r.set(id, url, { FunctionUrl: `${url.replace('http://', 'https://')}/`, FunctionArn: r.resolveString(p.TargetFunctionArn) });
        standing = stood('a function URL stand-in (payload format 2.0, invoked with the function\'s bundle)');
        break;
      }
      case 'AWS::Lambda::Permission':
        r.resolve(p);
        r.set(id, physicalName(id));
        standing = stood('the invoking stand-ins (API Gateway routes, EventBridge schedules)');
        break;
      case 'AWS::Lambda::EventSourceMapping':
        r.resolve(p);
        r.set(id, physicalName(id));
        standing = stood('the rehearsal\'s SQS poller (batch size, batch item failures; polling with the function\'s role)');
        break;
      case 'AWS::ApiGatewayV2::Api': {
        const apiId = shortHash(id).toLowerCase() + 'api';
        r.set(id, apiId, { ApiEndpoint: addresses.httpApi, ApiId: apiId });
        standing = stood('the API Gateway stand-in (routes, 10 MB payload limit, Lambda 6 MB invoke limit)');
        break;
      }
      case 'AWS::ApiGatewayV2::Integration':
      case 'AWS::ApiGatewayV2::Route':
      case 'AWS::ApiGatewayV2::Stage':
        r.resolve(p);
        r.set(id, shortHash(id).toLowerCase());
        standing = stood('the API Gateway stand-in');
        break;
      case 'AWS::CloudFront::Distribution': {
        const host = addresses.distributions[id];
        if (!host) throw new Error(`no CloudFront stand-in address for ${id}`);
        r.set(id, `E${shortHash(id)}`, { DomainName: host, Id: `E${shortHash(id)}` });
        standing = stood('the CloudFront stand-in (behaviours, functions, TTLs, CORS, origin access)');
        break;
      }
      case 'AWS::CloudFront::Function':
        r.set(id, physicalName(id), { FunctionARN: `arn:aws:cloudfront::${ACCOUNT}:function/${physicalName(id)}`, Stage: 'LIVE' });
        standing = stood('the CloudFront stand-in (function code run on viewer requests)');
        break;
      case 'AWS::CloudFront::CachePolicy':
      case 'AWS::CloudFront::OriginAccessControl':
      case 'AWS::CloudFront::ResponseHeadersPolicy':
      case 'AWS::CloudFront::OriginRequestPolicy':
        r.set(id, shortHash(id), { Id: shortHash(id) });
        standing = stood('the CloudFront stand-in');
        break;
      case 'AWS::CloudWatch::Alarm':
      case 'AWS::CloudWatch::Dashboard':
        r.set(id, physicalName(id), { Arn: `arn:aws:cloudwatch:${region}:${ACCOUNT}:alarm:${physicalName(id)}` });
        standing = notEmulated('alarms and dashboards watch metrics; the rehearsal checks behaviour, not metrics');
        break;
      case 'AWS::ImageBuilder::Component':
      case 'AWS::ImageBuilder::ImageRecipe':
      case 'AWS::ImageBuilder::InfrastructureConfiguration':
      case 'AWS::ImageBuilder::ImagePipeline':
      case 'AWS::ImageBuilder::LifecyclePolicy':
        r.resolve(p);
        r.set(id, `arn:aws:imagebuilder:${region}:${ACCOUNT}:${res.Type.split('::')[2]?.toLowerCase()}/${physicalName(id).toLowerCase()}`, {
          Arn: `arn:aws:imagebuilder:${region}:${ACCOUNT}:${res.Type.split('::')[2]?.toLowerCase()}/${physicalName(id).toLowerCase()}`,
          Name: physicalName(id),
        });
        standing = stood('the instance "boot" (the agent as the recipe installs it); no AMI is baked');
        break;
      case 'AWS::ImageBuilder::DistributionConfiguration': {
        r.resolve(p);
        const arn = `arn:aws:imagebuilder:${region}:${ACCOUNT}:distribution-configuration/${physicalName(id).toLowerCase()}`;
        r.set(id, arn, { Arn: arn });
        standing = stood(`SSM parameters set to moto image ${builderAmi}, as the pipeline's first image would`);
        break;
      }
      case 'AWS::SSM::Parameter': {
        const name = p.Name ? r.resolveString(p.Name) : `CFN-${physicalName(id)}`;
        await jsonCall(emu.moto, 'ssm', 'AmazonSSM.PutParameter', { Name: name, Value: r.resolveString(p.Value), Type: v('Type') ?? 'String', Overwrite: true, ...(p.DataType ? { DataType: v('DataType') } : {}) });
        r.set(id, name, { Type: String(v('Type') ?? 'String'), Value: r.resolveString(p.Value) });
        standing = { kind: 'moto' };
        break;
      }
      case 'AWS::CDK::Metadata':
        r.set(id, id);
        standing = notEmulated('CDK bookkeeping, no behaviour');
        break;
      default:
        if (res.Type.startsWith('Custom::') || res.Type === 'AWS::CloudFormation::CustomResource') {
          r.resolve(p);
          r.set(id, physicalName(id));
          standing = stood('its ServiceToken function, invoked with a Create event once the functions run (cfn-response to a local listener)');
          break;
        }
        r.resolve(p);
        r.set(id, physicalName(id), {});
        standing = notEmulated('the rehearsal has no stand-in for this type yet');
    }
    resources.push({ logicalId: id, type: res.Type, standing });
  }
  return { template, resolver: r, resources, builderAmi, kmsKeys, queues };
}

/** One line per resource type: what stood in for it (every type of the template appears). */
export function listing(resources: DeployedResource[]): string[] {
  const describe = (standing: Standing): string => {
    switch (standing.kind) {
      case 'moto':
        return 'created in moto';
      case 'dynamodb-local':
        return 'created in DynamoDB Local';
      case 'fauxqs':
        return 'created in fauxqs';
      case 'stood-in':
        return `stood in by ${standing.by}`;
      case 'not-emulated':
        return `not emulated: ${standing.reason}`;
    }
  };
  const byLine = new Map<string, number>();
  for (const d of resources) {
    const key = `${d.type}\t${describe(d.standing)}`;
    byLine.set(key, (byLine.get(key) ?? 0) + 1);
  }
  return [...byLine]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([key, count]) => {
      const [type, what] = key.split('\t');
      return `${type} x${count}: ${what}`;
    });
}

export type { Tag };
