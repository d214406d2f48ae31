import { EC2Client } from '@aws-sdk/client-ec2';
import type { Config } from '../config.js';
import { Ec2Fleet } from './ec2-fleet.js';

/** The builders on AWS: EC2 instances from the stack's launch templates. */
export function awsFleet(config: Config): Ec2Fleet {
  return new Ec2Fleet(new EC2Client({}), {
    launchTemplates: config.BUILDER_LAUNCH_TEMPLATES,
    subnets: config.BUILDER_SUBNETS,
    apiUrl: config.FRONTEND_URL,
    deployment: config.BUILDER_TAG_VALUE,
  });
}
