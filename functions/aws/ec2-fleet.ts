import { DescribeInstancesCommand, RunInstancesCommand, TerminateInstancesCommand, type EC2Client } from '@aws-sdk/client-ec2';
import { renderUserData } from '../../builder-ami/agent/user-data.js';
import type { Task } from '../core/build-model.js';
import type { Fleet } from '../core/dispatcher.js';

/**
 * Builders as EC2 instances: one instance per task from the launch template of the
 * task's architecture. User data carries only the task id, the API URL and the
 * task's scoped credential; the instance shuts down (and, with terminate-on-
 * shutdown in the template, terminates) once the agent has reported. Spot or
 * on-demand is the launch template's choice.
 */
export interface Ec2FleetOptions {
  launchTemplates: Record<string, string>;
  subnets: string[];
  apiUrl: string;
  /** Tag value identifying this deployment's builders (`copr:builder`). */
  deployment: string;
}

export const BUILDER_TAG = 'copr:builder';

export class Ec2Fleet implements Fleet {
  private next = 0;

  constructor(
    private readonly ec2: EC2Client,
    private readonly opts: Ec2FleetOptions,
  ) {}

  async launch(task: Task, credential: string, builderId: string): Promise<void> {
    const template = this.opts.launchTemplates[task.arch];
    if (!template) throw new Error(`no launch template for architecture ${task.arch}`);
    // Spread builders over the subnets (availability zones).
    const subnet = this.opts.subnets.length > 0 ? this.opts.subnets[this.next++ % this.opts.subnets.length] : undefined;
    const userData = renderUserData({ apiUrl: this.opts.apiUrl, taskId: task.task_id, credential });
    await this.ec2.send(
      new RunInstancesCommand({
        MinCount: 1,
        MaxCount: 1,
        LaunchTemplate: { LaunchTemplateId: template, Version: '$Latest' },
        ...(subnet ? { SubnetId: subnet } : {}),
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
        ClientToken: builderId, // idempotent: a retried launch never starts two instances
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
