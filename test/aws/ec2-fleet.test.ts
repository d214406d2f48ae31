import { DescribeInstancesCommand, EC2Client, RunInstancesCommand, TerminateInstancesCommand } from '@aws-sdk/client-ec2';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { Ec2Fleet, LaunchCapacityError } from '../../functions/aws/ec2-fleet.js';
import type { Task } from '../../functions/core/build-model.js';
import { newBuild, newTask } from '../../functions/core/builds.js';

// EC2 cannot run here: the SDK client is mocked and the exact command inputs are asserted.
// (moto's RunInstances always succeeds: it cannot answer InsufficientInstanceCapacity or a
// quota error, which is what the placement fallback below is about.)
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

  describe('capacity', () => {
    const ec2Error = (name: string) => Object.assign(new Error(`${name} (simulated)`), { name, $fault: 'server' as const });
    let clock = 0;
    const multi = () =>
      new Ec2Fleet(new EC2Client({ region: 'us-east-1' }), {
        launchTemplates: { x86_64: 'lt-x86', aarch64: 'lt-arm' },
        subnets: ['subnet-a', 'subnet-b'],
        apiUrl: 'https://copr.example.org',
        deployment: 'prod',
        instanceTypes: { x86_64: ['c7i.xlarge', 'c6i.xlarge'] },
        capacityCooloffMs: 60_000,
        distgitLookaside: '[{"name":"mine"}]',
        now: () => clock,
      });
    const placement = (i: { InstanceType?: string; SubnetId?: string; ClientToken?: string }) => [i.InstanceType, i.SubnetId, i.ClientToken];

    it('moves to the next subnet, then the next instance type, on capacity errors, with a token per placement', async () => {
      ec2Mock
        .on(RunInstancesCommand)
        .rejectsOnce(ec2Error('InsufficientInstanceCapacity'))
        .rejectsOnce(ec2Error('Unsupported'))
        .resolvesOnce({ Instances: [{ InstanceId: 'i-3' }] });
      await multi().launch(task({ arch: 'x86_64' }), 'cred', 'b1', { warm: { builderCredential: 'b1.secret', idleSeconds: 300 } });
      const inputs = ec2Mock.commandCalls(RunInstancesCommand).map((c) => c.args[0].input);
      expect(inputs.map(placement)).toEqual([
        ['c7i.xlarge', 'subnet-a', 'b1'],
        ['c7i.xlarge', 'subnet-b', 'b1-1'],
        ['c6i.xlarge', 'subnet-a', 'b1-2'],
      ]);
      // Same template, tags and user data on every try; the warm builder's values are in it.
      expect(new Set(inputs.map((i) => JSON.stringify({ ...i, InstanceType: 0, SubnetId: 0, ClientToken: 0 }))).size).toBe(1);
      const userData = Buffer.from(inputs[0]!.UserData ?? '', 'base64').toString('utf8');
      expect(userData).toContain("COPR_BUILDER_CREDENTIAL='b1.secret'\n");
      expect(userData).toContain("COPR_IDLE_SECONDS='300'\n");
      expect(userData).toContain("COPR_DISTGIT_LOOKASIDE='[{\"name\":\"mine\"}]'\n");
    });

    it('avoids placements that failed recently, and tries them again after the cool-off', async () => {
      const f = multi();
      ec2Mock.on(RunInstancesCommand).rejectsOnce(ec2Error('InsufficientInstanceCapacity')).resolves({});
      // (No resetHistory here: it would restart the mock's call count and its rejectsOnce.)
      const tried = () => ec2Mock.commandCalls(RunInstancesCommand).map((c) => placement(c.args[0].input));
      await f.launch(task({ arch: 'x86_64' }), 'c', 'b1'); // c7i/subnet-a fails, c7i/subnet-b starts it
      await f.launch(task({ arch: 'x86_64' }), 'c', 'b2'); // rotation starts at subnet-b
      await f.launch(task({ arch: 'x86_64' }), 'c', 'b3'); // rotation starts at subnet-a: cooling, skipped
      expect(tried()).toEqual([
        ['c7i.xlarge', 'subnet-a', 'b1'],
        ['c7i.xlarge', 'subnet-b', 'b1-1'],
        ['c7i.xlarge', 'subnet-b', 'b2'],
        ['c7i.xlarge', 'subnet-b', 'b3'],
      ]);
      clock += 60_001;
      await f.launch(task({ arch: 'x86_64' }), 'c', 'b4'); // rotation at subnet-b
      await f.launch(task({ arch: 'x86_64' }), 'c', 'b5'); // rotation at subnet-a, cooled off
      expect(tried().slice(4)).toEqual([
        ['c7i.xlarge', 'subnet-b', 'b4'],
        ['c7i.xlarge', 'subnet-a', 'b5'],
      ]);
    });

    it('stops at once on quota and throttling errors (another placement would fail alike)', async () => {
      for (const name of ['VcpuLimitExceeded', 'InstanceLimitExceeded', 'RequestLimitExceeded']) {
        ec2Mock.reset();
        ec2Mock.on(RunInstancesCommand).rejects(ec2Error(name));
        await expect(multi().launch(task({ arch: 'x86_64' }), 'c', 'b1')).rejects.toMatchObject({ name });
        expect(ec2Mock.commandCalls(RunInstancesCommand)).toHaveLength(1);
      }
    });

    it('fails with a capacity error when every placement has none', async () => {
      const f = multi();
      ec2Mock.on(RunInstancesCommand).rejects(ec2Error('InsufficientInstanceCapacity'));
      await expect(f.launch(task({ arch: 'x86_64' }), 'c', 'b1')).rejects.toBeInstanceOf(LaunchCapacityError);
      expect(ec2Mock.commandCalls(RunInstancesCommand)).toHaveLength(4);
      // All four are cooling off: the next launch fails without calling EC2.
      await expect(f.launch(task({ arch: 'x86_64' }), 'c', 'b2')).rejects.toThrow('every instance type and subnet failed recently');
      expect(ec2Mock.commandCalls(RunInstancesCommand)).toHaveLength(4);
    });
  });
});
