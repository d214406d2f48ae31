/**
 * AWS list prices used for the cost per 1,000 builds: us-east-1, on-demand, no free
 * tier, as published on the AWS pricing pages in 2025 (DynamoDB on-demand after the
 * November 2024 reduction). Written down from those pages, not fetched at run time:
 * check them before quoting a figure as current.
 */
export const PRICES_AS_OF = '2025 list prices, us-east-1';

export const PRICES = {
  /** Builder instance types (lib/constructs/builders.ts DEFAULT_INSTANCE_TYPES), USD per hour, Linux on-demand. */
  ec2PerHour: { 'c7i.xlarge': 0.1785, 'c7g.xlarge': 0.145 } as Record<string, number>,
  /** EC2 Linux bills per second with a 60 s minimum per instance. */
  ec2MinimumSeconds: 60,
  /** gp3 root volume (80 GiB, lib/constructs/builders.ts), USD per GiB-month (730 h). */
  gp3PerGibMonth: 0.08,
  builderRootGib: 80,
  /** Lambda (x86): per request and per GB-second. */
  lambdaPerRequest: 0.2 / 1e6,
  lambdaPerGbSecond: 0.0000166667,
  /** API Gateway HTTP API, per request (first 300 M a month). */
  httpApiPerRequest: 1.0 / 1e6,
  /** DynamoDB on-demand: per write request unit and per read request unit. */
  dynamoPerWru: 0.625 / 1e6,
  dynamoPerRru: 0.125 / 1e6,
  /** SQS per request (standard, FIFO). */
  sqsStandardPerRequest: 0.4 / 1e6,
  sqsFifoPerRequest: 0.5 / 1e6,
  /** Fargate Linux/x86: per vCPU-hour and per GB-hour. */
  fargatePerVcpuHour: 0.04048,
  fargatePerGbHour: 0.004445,
  /** EventBridge custom events, per event. */
  eventBridgePerEvent: 1.0 / 1e6,
  /** S3 Standard PUT requests. */
  s3PerPut: 0.005 / 1000,
};

/** Memory sizes of the functions (lib/constructs: api.ts 1024 MB, copr-function.ts default 512 MB). */
export const LAMBDA_MB = { api: 1024, dispatcher: 512, reaper: 512, publishTrigger: 512 };

/** Publisher task size (lib/constructs/publisher.ts defaults: 1 vCPU, 2 GiB). */
export const PUBLISHER_TASK = { vcpu: 1, gb: 2 };
