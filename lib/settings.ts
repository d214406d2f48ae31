import * as z from 'zod';
import { LookasideInstancesSchema } from '../builder-ami/agent/lookaside-config.js';
import { DistgitInstanceSchema } from '../functions/core/sources.js';

/**
 * Deployment settings, read from CDK context (`cdk.json` or `-c key=value`) and
 * validated once. Values given with `-c` arrive as strings, so booleans, numbers
 * and lists are coerced here. Nothing in here needs AWS credentials: there are
 * no lookups, so `cdk synth` runs offline.
 */

export const STAGES = ['dev', 'staging', 'prod'] as const;
export type Stage = (typeof STAGES)[number];

/** Builder architectures, named as Copr names them in chroot names. */
export const ARCHES = ['x86_64', 'aarch64'] as const;
export type Arch = (typeof ARCHES)[number];

const bool = z.preprocess((v) => (typeof v === 'string' ? v.trim().toLowerCase() === 'true' : v), z.boolean());

/** A list given either as a JSON array (cdk.json) or a comma-separated string (`-c`). */
const list = z.preprocess(
  (v) =>
    typeof v === 'string'
      ? v
          .split(',')
          .map((s) => s.trim())
          .filter((s) => s.length > 0)
      : v,
  z.array(z.string().min(1)),
);

/** A per-architecture map given as an object (cdk.json) or a JSON string (`-c`). */
const perArch = <T extends z.ZodType>(value: T) =>
  z.preprocess(
    (v) => (typeof v === 'string' ? JSON.parse(v) : v),
    z.object({ x86_64: value, aarch64: value }),
  );

/** EC2 resource ids: a prefix and 8 or 17 hex digits (CloudFormation rejects anything else). */
const ec2Id = (prefix: string) =>
  z.string().regex(new RegExp(`^${prefix}-([0-9a-f]{8}|[0-9a-f]{17})$`), `an id such as ${prefix}-0123456789abcdef0`);

const amiId = z.string().regex(/^ami-[0-9a-f]{8,17}$/, 'an AMI id such as ami-0123456789abcdef0');
const ssmName = z.string().regex(/^\/[\w./-]+$/, 'an SSM parameter name starting with /');

const domain = z.object({
  /** Fully qualified name, e.g. copr.example.org. */
  name: z.string().min(3),
  /** ACM certificate ARN (us-east-1 for CloudFront, the stack's region for the API). */
  certificateArn: z.string().startsWith('arn:aws'),
});

const jsonObject = <T extends z.ZodType>(value: T) =>
  z.preprocess((v) => (typeof v === 'string' ? JSON.parse(v) : v), value);

const Settings = z
  .object({
    stage: z.enum(STAGES).default('dev'),
    /** Builder AMI ids per architecture (wins over the SSM parameters). */
    builderAmiIds: perArch(amiId).optional(),
    /**
     * SSM parameters holding the builder AMI id per architecture, resolved by EC2
     * at launch time. Defaults to the parameters the BuilderImage pipeline writes.
     */
    builderAmiSsmParameters: perArch(ssmName).optional(),
    /**
     * Fedora parent image of the builder AMI per architecture: an AMI id or an
     * SSM parameter name. Defaults to `/copr/<stage>/fedora-parent/<arch>`.
     */
    builderParentImages: perArch(z.union([amiId, ssmName])).optional(),
    /** Launch builders as spot instances. */
    spot: bool.default(false),
    /** Upper bound of builders running at once (all architectures). */
    maxBuilders: z.coerce.number().int().positive().max(1000).default(10),
    /**
     * Builder instance types per architecture, preferred first: the first is the launch
     * template's, the others are tried when EC2 has no capacity for it.
     */
    builderInstanceTypes: perArch(list.pipe(z.array(z.string().regex(/^[a-z0-9-]+\.[a-z0-9]+$/, 'an instance type such as c7i.xlarge')).min(1))).optional(),
    /** Warm builders: which later tasks a builder may run (`sandbox` is Copr's rule; `off`: one task each). */
    builderReuse: z.enum(['off', 'sandbox', 'owner']).default('sandbox'),
    /** A warm builder without work terminates after this many seconds. */
    builderIdleSeconds: z.coerce.number().int().min(0).max(3600).default(300),
    /**
     * DistGit instances beyond upstream's fedora, centos-stream and centos (the service's
     * DISTGIT_INSTANCES), as a JSON list; a same-named entry replaces one of those.
     */
    distgitInstances: jsonObject(z.array(DistgitInstanceSchema)).optional(),
    /** The builders' DistGit lookaside caches (COPR_DISTGIT_LOOKASIDE, docs/builder.md), as a JSON list. */
    distgitLookaside: jsonObject(LookasideInstancesSchema).optional(),
    /** Existing VPC; when absent the stack creates one with public subnets and no NAT. */
    vpcId: ec2Id('vpc').optional(),
    /** Subnets of `vpcId` for builders and the publisher task. */
    subnetIds: list.pipe(z.array(ec2Id('subnet')).min(1)).optional(),
    /** Give builders and publisher tasks a public IP (needed without NAT). */
    assignPublicIp: bool.optional(),
    /** Custom domains (optional). */
    webDomain: jsonObject(domain).optional(),
    resultsDomain: jsonObject(domain).optional(),
    apiDomain: jsonObject(domain).optional(),
    /** External OIDC issuer; without it the stack creates a Cognito user pool. */
    oidcIssuer: z.string().url().optional(),
    oidcAudience: z.string().min(1).optional(),
    oidcJwksUri: z.string().url().optional(),
    /** Claim holding the Copr username; defaults per provider (see usernameClaim()). */
    oidcUsernameClaim: z.string().min(1).optional(),
    /** CloudWatch Logs retention, in days. */
    logRetentionDays: z.coerce.number().int().positive().default(30),
    /** E-mail address subscribed to the alarm topic. */
    alarmEmail: z.string().email().optional(),
  })
  .superRefine((s, ctx) => {
    if ((s.vpcId === undefined) !== (s.subnetIds === undefined)) {
      ctx.addIssue({ code: 'custom', message: 'vpcId and subnetIds go together', path: ['subnetIds'] });
    }
    if ((s.oidcIssuer === undefined) !== (s.oidcAudience === undefined)) {
      ctx.addIssue({ code: 'custom', message: 'oidcIssuer and oidcAudience go together', path: ['oidcAudience'] });
    }
  });

export type Settings = z.infer<typeof Settings>;

/** Every context key this app reads; kept beside the schema so they cannot drift. */
export const CONTEXT_KEYS = [
  'stage',
  'builderAmiIds',
  'builderAmiSsmParameters',
  'builderParentImages',
  'spot',
  'maxBuilders',
  'builderInstanceTypes',
  'builderReuse',
  'builderIdleSeconds',
  'distgitInstances',
  'distgitLookaside',
  'vpcId',
  'subnetIds',
  'assignPublicIp',
  'webDomain',
  'resultsDomain',
  'apiDomain',
  'oidcIssuer',
  'oidcAudience',
  'oidcJwksUri',
  'oidcUsernameClaim',
  'logRetentionDays',
  'alarmEmail',
] as const satisfies readonly (keyof Settings)[];

/**
 * Parses settings from a context getter (`app.node.tryGetContext`). Throws one
 * error listing every bad key so a wrong `-c` fails the synth, not the deploy.
 */
export function parseSettings(getContext: (key: string) => unknown): Settings {
  const raw: Record<string, unknown> = {};
  for (const key of CONTEXT_KEYS) {
    const value = getContext(key);
    if (value !== undefined && value !== '') raw[key] = value;
  }
  let parsed: ReturnType<typeof Settings.safeParse>;
  try {
    parsed = Settings.safeParse(raw);
  } catch (err) {
    // JSON.parse inside a preprocess step throws instead of reporting an issue.
    throw new Error(`Invalid CDK context: ${(err as Error).message}`);
  }
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new Error(`Invalid CDK context:\n${lines.join('\n')}`);
  }
  return parsed.data;
}

/** Production-like stages keep data when the stack is deleted. */
export const keepsData = (stage: Stage): boolean => stage !== 'dev';

/**
 * SSM parameter that the BuilderImage pipeline updates with the newest AMI of `arch`.
 * Under /imagebuilder/ because Image Builder's service-linked role writes parameters there.
 */
export const builderAmiParameterName = (stage: Stage, arch: Arch): string => `/imagebuilder/copr/${stage}/builder-ami/${arch}`;

/** Default SSM parameter holding the Fedora parent AMI of `arch` (set once by the operator). */
export const parentImageParameterName = (stage: Stage, arch: Arch): string => `/copr/${stage}/fedora-parent/${arch}`;
