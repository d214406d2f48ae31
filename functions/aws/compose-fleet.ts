import { EC2Client } from '@aws-sdk/client-ec2';
import type { Config } from '../config.js';
import { Ec2Fleet } from './ec2-fleet.js';

/**
 * The builders on AWS: EC2 instances from the stack's launch templates. Calls are
 * short and retried once at most: a launch must end well before the dispatcher's
 * deadline (functions/handlers/dispatcher.ts), and a failed one is retried later
 * by the dispatcher's backoff anyway.
 */
export function awsFleet(config: Config): Ec2Fleet {
  return new Ec2Fleet(new EC2Client({ maxAttempts: 2, requestHandler: { requestTimeout: 5_000, connectionTimeout: 3_000 } }), {
    launchTemplates: config.BUILDER_LAUNCH_TEMPLATES,
    subnets: config.BUILDER_SUBNETS,
    instanceTypes: config.BUILDER_INSTANCE_TYPES,
    apiUrl: config.FRONTEND_URL,
    deployment: config.BUILDER_TAG_VALUE,
    distgitLookaside: config.BUILDER_DISTGIT_LOOKASIDE,
  });
}
