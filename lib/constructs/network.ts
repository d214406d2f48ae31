import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';

export interface NetworkProps {
  /**
   * Existing VPC and the subnets builders and publisher tasks run in.
   * Imported by id, without lookups, so synth needs no credentials.
   * @default - a new VPC with public subnets only and no NAT gateway
   */
  readonly existing?: { readonly vpcId: string; readonly subnetIds: readonly string[] };
  /** Give builders and tasks a public IP. @default true for a new VPC, false for an existing one */
  readonly assignPublicIp?: boolean;
  /** @default 2 */
  readonly maxAzs?: number;
  /** Retention of the VPC flow logs (rejected traffic). @default logs.RetentionDays.ONE_MONTH */
  readonly flowLogRetention?: logs.RetentionDays;
}

/**
 * Where builders and publisher tasks run. The default VPC is deliberately
 * cheap: public subnets and public IPs instead of NAT gateways. Nothing listens
 * inside it; builders and tasks only make outbound HTTPS calls.
 */
export class Network extends Construct {
  public readonly vpc: ec2.IVpc;
  public readonly subnetIds: readonly string[];
  public readonly assignPublicIp: boolean;

  constructor(scope: Construct, id: string, props: NetworkProps = {}) {
    super(scope, id);
    if (props.existing !== undefined) {
      // Only vpcId is read from this import (for security groups); subnets are passed as ids,
      // so the zone list is a placeholder that nothing reads.
      this.vpc = ec2.Vpc.fromVpcAttributes(this, 'Vpc', {
        vpcId: props.existing.vpcId,
        availabilityZones: ['unused'],
      });
      this.subnetIds = props.existing.subnetIds;
      this.assignPublicIp = props.assignPublicIp ?? false;
      return;
    }
    const vpc = new ec2.Vpc(this, 'Vpc', {
      maxAzs: props.maxAzs ?? 2,
      natGateways: 0,
      subnetConfiguration: [{ name: 'public', subnetType: ec2.SubnetType.PUBLIC, cidrMask: 20 }],
    });
    const flowLogGroup = new logs.LogGroup(this, 'FlowLogs', {
      retention: props.flowLogRetention ?? logs.RetentionDays.ONE_MONTH,
    });
    vpc.addFlowLog('Rejected', {
      destination: ec2.FlowLogDestination.toCloudWatchLogs(flowLogGroup),
      trafficType: ec2.FlowLogTrafficType.REJECT,
    });
    this.vpc = vpc;
    this.subnetIds = vpc.publicSubnets.map((s) => s.subnetId);
    this.assignPublicIp = props.assignPublicIp ?? true;
  }
}
