import { DescribeInstancesCommand, EC2Client, RunInstancesCommand, TerminateInstancesCommand } from '@aws-sdk/client-ec2';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { Ec2Fleet } from '../../functions/aws/ec2-fleet.js';
import type { Task } from '../../functions/core/build-model.js';
import { newBuild, newTask } from '../../functions/core/builds.js';

// EC2 cannot run here: the SDK client is mocked and the exact command inputs are asserted.
const ec2Mock = mockClient(EC2Client);

function task(overrides: Partial<Omit<Task, 'kind' | 'chroot'>> = {}): Task {
  const build = newBuild(12, 'alice', 'proj', { submitter: 'alice' });
  return { ...newTask(build, 'fedora-44-aarch64', 'aarch64', 0), state: 'starting', ...overrides };
}

function fleet(subnets: string[] = ['subnet-a', 'subnet-b']): Ec2Fleet {
  return new Ec2Fleet(new EC2Client({ region: 'us-east-1' }), {
    launchTemplates: { x86_64: 'lt-x86', aarch64: 'lt-arm' },
    subnets,
    apiUrl: 'https://copr.example.org',
    deployment: 'prod',
  });
}

describe('Class: Ec2Fleet', () => {
  afterEach(() => ec2Mock.reset());

  it('launches one instance from the arch launch template with the task in user data and tags', async () => {
    ec2Mock.on(RunInstancesCommand).resolves({ Instances: [{ InstanceId: 'i-1' }] });
    await fleet().launch(task(), "12-fedora-44-aarch64.s3cr'et", 'builder-1');

    const calls = ec2Mock.commandCalls(RunInstancesCommand);
    expect(calls).toHaveLength(1);
    const input = calls[0]!.args[0].input;
    const userData = Buffer.from(input.UserData ?? '', 'base64').toString('utf8');
    expect(input).toEqual({
      MinCount: 1,
      MaxCount: 1,
      LaunchTemplate: { LaunchTemplateId: 'lt-arm', Version: '$Latest' },
      SubnetId: 'subnet-a',
      UserData: input.UserData,
      TagSpecifications: [
        {
          ResourceType: 'instance',
          Tags: [
            { Key: 'copr:builder', Value: 'prod' },
            { Key: 'copr:builder-id', Value: 'builder-1' },
            { Key: 'copr:task-id', Value: '12-fedora-44-aarch64' },
            { Key: 'copr:build-id', Value: '12' },
            { Key: 'Name', Value: 'copr-builder-12-fedora-44-aarch64' },
          ],
        },
      ],
      ClientToken: 'builder-1',
    });
    expect(userData).toMatch(/^#!/);
    expect(userData).toContain("COPR_API_URL='https://copr.example.org'\n");
    expect(userData).toContain("COPR_TASK_ID='12-fedora-44-aarch64'\n");
    // The quote in the credential cannot end the shell word.
    expect(userData).toContain("COPR_TASK_CREDENTIAL='12-fedora-44-aarch64.s3cr'\\''et'\n");
    expect(userData).not.toContain('@@');
  });

  it('rotates over the subnets and omits SubnetId without subnets', async () => {
    ec2Mock.on(RunInstancesCommand).resolves({});
    const f = fleet(['subnet-a', 'subnet-b']);
    for (const id of ['b1', 'b2', 'b3']) await f.launch(task({ arch: 'x86_64' }), 'c', id);
    const inputs = ec2Mock.commandCalls(RunInstancesCommand).map((c) => c.args[0].input);
    expect(inputs.map((i) => i.SubnetId)).toEqual(['subnet-a', 'subnet-b', 'subnet-a']);
    expect(inputs.map((i) => i.LaunchTemplate?.LaunchTemplateId)).toEqual(['lt-x86', 'lt-x86', 'lt-x86']);
    expect(inputs.map((i) => i.ClientToken)).toEqual(['b1', 'b2', 'b3']);

    ec2Mock.resetHistory();
    await fleet([]).launch(task(), 'c', 'b4');
    expect('SubnetId' in ec2Mock.commandCalls(RunInstancesCommand)[0]!.args[0].input).toBe(false);
  });

  it('refuses an architecture without a launch template and calls nothing', async () => {
    await expect(fleet().launch(task({ arch: 's390x' }), 'c', 'b1')).rejects.toThrow('no launch template for architecture s390x');
    expect(ec2Mock.calls()).toHaveLength(0);
  });

  it('terminates the instances found by builder id and deployment tag', async () => {
    ec2Mock.on(DescribeInstancesCommand).resolves({
      Reservations: [{ Instances: [{ InstanceId: 'i-1' }] }, { Instances: [{ InstanceId: 'i-2' }, {}] }],
    });
    ec2Mock.on(TerminateInstancesCommand).resolves({});
    await fleet().terminate('builder-9');
    expect(ec2Mock.commandCalls(DescribeInstancesCommand)[0]!.args[0].input).toEqual({
      Filters: [
        { Name: 'tag:copr:builder-id', Values: ['builder-9'] },
        { Name: 'tag:copr:builder', Values: ['prod'] },
        { Name: 'instance-state-name', Values: ['pending', 'running', 'stopping', 'stopped'] },
      ],
    });
    expect(ec2Mock.commandCalls(TerminateInstancesCommand).map((c) => c.args[0].input)).toEqual([{ InstanceIds: ['i-1', 'i-2'] }]);
  });

  it("lists this deployment's builders across pages, skipping instances without a builder id", async () => {
    const launched = new Date('2026-11-21T10:00:00Z');
    const tagged = (builderId: string, taskId?: string) => [
      { Key: 'copr:builder', Value: 'prod' },
      { Key: 'copr:builder-id', Value: builderId },
      ...(taskId ? [{ Key: 'copr:task-id', Value: taskId }] : []),
    ];
    ec2Mock
      .on(DescribeInstancesCommand)
      .resolvesOnce({ Reservations: [{ Instances: [{ InstanceId: 'i-1', Tags: tagged('b1', '7'), LaunchTime: launched }, { InstanceId: 'i-x' }] }], NextToken: 'p2' })
      .resolvesOnce({ Reservations: [{ Instances: [{ InstanceId: 'i-2', Tags: tagged('b2') }] }] });
    expect(await fleet().list()).toEqual([
      { builderId: 'b1', taskId: '7', launchedAt: launched.getTime() },
      { builderId: 'b2', taskId: null, launchedAt: null },
    ]);
    const filters = [
      { Name: 'tag:copr:builder', Values: ['prod'] },
      { Name: 'instance-state-name', Values: ['pending', 'running', 'stopping', 'stopped'] },
    ];
    expect(ec2Mock.commandCalls(DescribeInstancesCommand).map((c) => c.args[0].input)).toEqual([
      { Filters: filters, NextToken: undefined },
      { Filters: filters, NextToken: 'p2' },
    ]);
  });

  it('terminates nothing when no instance matches', async () => {
    ec2Mock.on(DescribeInstancesCommand).resolves({ Reservations: [] });
    await fleet().terminate('gone');
    expect(ec2Mock.commandCalls(TerminateInstancesCommand)).toHaveLength(0);
  });
});
