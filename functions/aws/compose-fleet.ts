import { EC2Client } from '@aws-sdk/client-ec2';
import { DEFAULT_BUILD_SETTINGS } from '../core/builds.js';
import type { DispatcherDeps } from '../core/dispatcher.js';
import { systemClock } from '../core/ports.js';
import { loadConfig, type Config } from '../config.js';
import { documentClient } from '../store/dynamo-client.js';
import { DynamoBuildStore } from '../store/dynamo-build-store.js';
import { Ec2Fleet } from './ec2-fleet.js';

/**
 * The EC2 side of the AWS composition (dispatcher, reaper, maintenance only). It
 * imports no other client, so the dispatcher's bundle is EC2 + DynamoDB only.
 */
let ec2: EC2Client | null = null;
let config: Config | null = null;

function awsConfig(): Config {
  config ??= loadConfig();
  return config;
}

export function awsFleet(): Ec2Fleet {
  const config = awsConfig();
  ec2 ??= new EC2Client({});
  return new Ec2Fleet(ec2, {
    launchTemplates: config.BUILDER_LAUNCH_TEMPLATES,
    subnets: config.BUILDER_SUBNETS,
    apiUrl: config.FRONTEND_URL,
    deployment: config.BUILDER_TAG_VALUE,
  });
}

export function awsDispatcherDeps(): DispatcherDeps {
  const config = awsConfig();
  return {
    builds: new DynamoBuildStore(documentClient(config.DYNAMODB_ENDPOINT), config.TABLE_NAME),
    fleet: awsFleet(),
    clock: systemClock,
    // Half the builders per owner at most, so a second owner always finds room.
    limits: { total: config.MAX_BUILDERS, perArch: {}, perOwner: Math.max(1, Math.ceil(config.MAX_BUILDERS / 2)), perSandbox: config.MAX_BUILDERS },
    credentialTtlMs: 2 * DEFAULT_BUILD_SETTINGS.timeoutMax * 1000,
    log: (m) => console.log(m),
  };
}
