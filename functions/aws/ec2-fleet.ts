import { DescribeInstancesCommand, RunInstancesCommand, TerminateInstancesCommand, type _InstanceType, type EC2Client } from '@aws-sdk/client-ec2';
import { renderUserData } from '../../builder-ami/agent/user-data.js';
import type { Task } from '../core/build-model.js';
import type { Fleet, LaunchOptions } from '../core/dispatcher.js';

/**
 * Builders as EC2 instances: one instance per launch from the launch template of the
 * task's architecture. User data carries the task id, the API URL, the task's scoped
 * credential and, for a warm builder, its builder credential and idle period; the
 * instance shuts down (terminate-on-shutdown in the template) once its agent stops
 * getting work. Spot or on-demand is the launch template's choice.
 *
 * Capacity: a launch tries the instance types configured for the architecture (the
 * template's own type when none are) over the subnets, moving to the next placement
 * on an error that another type or zone may not have (insufficient capacity, type not
 * offered in the zone, subnet out of addresses). A placement that failed is avoided
 * for a while by later launches. Quota and throttling errors end the launch at once:
 * another placement would fail the same way, and the dispatcher backs off instead.
 */
export interface Ec2FleetOptions {
  launchTemplates: Record<string, string>;
  subnets: string[];
  apiUrl: string;
  /** The builders' DistGit lookaside caches, JSON (COPR_DISTGIT_LOOKASIDE); empty: the agent's defaults. */
  distgitLookaside?: string;
  /** Tag value identifying this deployment's builders (`copr:builder`). */
  deployment: string;
  /** Instance types per architecture, preferred first (overriding the template's type). */
  instanceTypes?: Record<string, string[]>;
  /** How long a placement that reported no capacity is avoided (ms); default 5 minutes. */
  capacityCooloffMs?: number;
  /** Most RunInstances calls for one launch; default 6. */
  maxAttemptsPerLaunch?: number;
  /** No further placement is tried once a launch has taken this long (ms); default 15 s. */
  launchBudgetMs?: number;
  now?: () => number;
}

export const BUILDER_TAG = 'copr:builder';

/** Errors another instance type or subnet may not have. */
const PLACEMENT_ERRORS = new Set([
  'InsufficientInstanceCapacity',
  'InsufficientHostCapacity',
  'InsufficientCapacity',
  'Unsupported',
  'InsufficientFreeAddressesInSubnet',
  'SpotMaxPriceTooLow',
]);

/** No placement could start the builder; the last EC2 error is the cause. */
export class LaunchCapacityError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'LaunchCapacityError';
  }
}

interface Placement {
  instanceType: string | undefined;
  subnet: string | undefined;
}

const placementKey = (arch: string, p: Placement) => `${arch}|${p.instanceType ?? ''}|${p.subnet ?? ''}`;

export class Ec2Fleet implements Fleet {
  private next = 0;
  /** Placements that recently had no capacity, until when (epoch ms). */
  private readonly cooling = new Map<string, number>();

  constructor(
    private readonly ec2: EC2Client,
    private readonly opts: Ec2FleetOptions,
  ) {}

  private now(): number {
    return this.opts.now?.() ?? Date.now();
  }

  /** Every (type, subnet) for the arch: types in preference order, subnets rotated per launch. */
  private placements(arch: string): Placement[] {
    const types: Array<string | undefined> = this.opts.instanceTypes?.[arch]?.length ? this.opts.instanceTypes[arch] : [undefined];
    const n = this.opts.subnets.length;
    const first = n > 0 ? this.next++ % n : 0;
    const subnets: Array<string | undefined> = n > 0 ? this.opts.subnets.map((_, i) => this.opts.subnets[(first + i) % n]) : [undefined];
    const all = types.flatMap((instanceType) => subnets.map((subnet) => ({ instanceType, subnet })));
    const now = this.now();
    const fresh = all.filter((p) => (this.cooling.get(placementKey(arch, p)) ?? 0) <= now);
    return fresh;
  }

  async launch(task: Task, credential: string, builderId: string, options: LaunchOptions = {}): Promise<void> {
    const template = this.opts.launchTemplates[task.arch];
    if (!template) throw new Error(`no launch template for architecture ${task.arch}`);
    const placements = this.placements(task.arch).slice(0, this.opts.maxAttemptsPerLaunch ?? 6);
    if (placements.length === 0) throw new LaunchCapacityError(`no ${task.arch} capacity: every instance type and subnet failed recently`);
    const userData = renderUserData({
      apiUrl: this.opts.apiUrl,
      taskId: task.task_id,
      credential,
      distgitLookaside: this.opts.distgitLookaside ?? '',
      ...(options.warm ? { builderCredential: options.warm.builderCredential, idleSeconds: options.warm.idleSeconds } : {}),
    });
    let last: Error | null = null;
    const started = this.now();
    for (const [i, p] of placements.entries()) {
      if (i > 0 && this.now() - started > (this.opts.launchBudgetMs ?? 15_000)) break;
      try {
        await this.runInstance(task, template, p, userData, i === 0 ? builderId : `${builderId}-${i}`, builderId);
        return;
      } catch (err) {
        const name = (err as Error).name;
        if (!PLACEMENT_ERRORS.has(name)) throw err; // quota, throttling, bad request: no other placement helps
        last = err as Error;
        this.cooling.set(placementKey(task.arch, p), this.now() + (this.opts.capacityCooloffMs ?? 5 * 60_000));
      }
    }
    throw new LaunchCapacityError(`no ${task.arch} capacity in the placements tried: ${last?.message ?? 'unknown'}`, { cause: last });
  }

  private async runInstance(task: Task, template: string, p: Placement, userData: string, clientToken: string, builderId: string): Promise<void> {
    await this.ec2.send(
      new RunInstancesCommand({
        MinCount: 1,
        MaxCount: 1,
        LaunchTemplate: { LaunchTemplateId: template, Version: '$Latest' },
        ...(p.instanceType ? { InstanceType: p.instanceType as _InstanceType } : {}),
        ...(p.subnet ? { SubnetId: p.subnet } : {}),
        UserData: Buffer.from(userData).toString('base64'),
        TagSpecifications: [
          {
            ResourceType: 'instance',
            Tags: [
              { Key: BUILDER_TAG, Value: this.opts.deployment },
              { Key: 'copr:builder-id', Value: builderId },
              { Key: 'copr:task-id', Value: task.task_id },
              { Key: 'copr:build-id', Value: String(task.build_id) },
              { Key: 'Name', Value: `copr-builder-${task.task_id}`.slice(0, 255) },
            ],
          },
        ],
        // Idempotent: a retried call never starts two instances (one token per placement,
        // since EC2 refuses a token reused with other parameters).
        ClientToken: clientToken,
      }),
    );
  }

  async list(): Promise<Array<{ builderId: string; taskId: string | null; launchedAt: number | null }>> {
    const out: Array<{ builderId: string; taskId: string | null; launchedAt: number | null }> = [];
    let token: string | undefined;
    do {
      const res = await this.ec2.send(
        new DescribeInstancesCommand({
          Filters: [
            { Name: `tag:${BUILDER_TAG}`, Values: [this.opts.deployment] },
            { Name: 'instance-state-name', Values: ['pending', 'running', 'stopping', 'stopped'] },
          ],
          NextToken: token,
        }),
      );
      for (const i of (res.Reservations ?? []).flatMap((r) => r.Instances ?? [])) {
        const tag = (k: string) => i.Tags?.find((t) => t.Key === k)?.Value ?? null;
        const builderId = tag('copr:builder-id');
        if (builderId) out.push({ builderId, taskId: tag('copr:task-id'), launchedAt: i.LaunchTime ? i.LaunchTime.getTime() : null });
      }
      token = res.NextToken;
    } while (token);
    return out;
  }

  async terminate(builderId: string): Promise<void> {
    const res = await this.ec2.send(
      new DescribeInstancesCommand({
        Filters: [
          { Name: 'tag:copr:builder-id', Values: [builderId] },
          { Name: `tag:${BUILDER_TAG}`, Values: [this.opts.deployment] },
          { Name: 'instance-state-name', Values: ['pending', 'running', 'stopping', 'stopped'] },
        ],
      }),
    );
    const ids = (res.Reservations ?? []).flatMap((r) => r.Instances ?? []).map((i) => i.InstanceId!).filter(Boolean);
    if (ids.length > 0) await this.ec2.send(new TerminateInstancesCommand({ InstanceIds: ids }));
  }
}
