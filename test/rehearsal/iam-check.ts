import { runSimulation, type Simulation } from '@cloud-copilot/iam-simulate';
import { ACCOUNT, type Resolver, type Template } from './cfn.js';

/**
 * The IAM check: each AWS call a rehearsed process makes is evaluated against the
 * identity policies its own role has in the template (inline `Policies` and every
 * `AWS::IAM::Policy` attached to it), with @cloud-copilot/iam-simulate. Anything but
 * "Allowed" fails the call with AWS's AccessDenied, and the rehearsal.
 */
export interface Check {
  readonly action: string;
  readonly resource: string;
  readonly context?: Record<string, string | string[]>;
  /** Why AWS checks this (e.g. "resolve:ssm in the launch template"), when it is not the call itself. */
  readonly onBehalf?: string;
}

export interface Principal {
  /** Logical id of the IAM role in the template. */
  readonly roleLogicalId: string;
  /** Who runs with it ("Lambda ApiHandlerFn…", "builder instance", "publisher task"). */
  readonly label: string;
}

export interface Verdict {
  readonly check: Check;
  readonly principal: Principal;
  readonly result: string;
}

type PolicyDoc = { Version?: string; Statement: unknown[] };

export class IamChecker {
  private readonly policies = new Map<string, Array<{ name: string; policy: PolicyDoc }>>();
  readonly verdicts: Verdict[] = [];

  constructor(
    private readonly template: Template,
    private readonly resolver: Resolver,
  ) {}

  /** The role's identity policies, resolved to the emulated ARNs (cached). */
  policiesOf(roleLogicalId: string): Array<{ name: string; policy: PolicyDoc }> {
    const cached = this.policies.get(roleLogicalId);
    if (cached) return cached;
    const out: Array<{ name: string; policy: PolicyDoc }> = [];
    const role = this.template.Resources[roleLogicalId];
    if (role?.Type !== 'AWS::IAM::Role') throw new Error(`${roleLogicalId} is not a role of the template`);
    for (const inline of (role.Properties?.Policies ?? []) as Array<{ PolicyName: unknown; PolicyDocument: unknown }>) {
      out.push({ name: String(this.resolver.resolve(inline.PolicyName)), policy: this.resolver.resolve(inline.PolicyDocument) as PolicyDoc });
    }
    for (const [id, res] of Object.entries(this.template.Resources)) {
      if (res.Type !== 'AWS::IAM::Policy' && res.Type !== 'AWS::IAM::ManagedPolicy') continue;
      const roles = (res.Properties?.Roles ?? []) as unknown[];
      if (!roles.some((r) => JSON.stringify(r) === JSON.stringify({ Ref: roleLogicalId }))) continue;
      out.push({ name: id, policy: this.resolver.resolve(res.Properties?.PolicyDocument) as PolicyDoc });
    }
    this.policies.set(roleLogicalId, out);
    return out;
  }

  roleArn(roleLogicalId: string): string {
    return this.resolver.getAtt(roleLogicalId, 'Arn');
  }

  async check(principal: Principal, check: Check): Promise<Verdict> {
    const roleName = this.resolver.ref(principal.roleLogicalId);
    const simulation: Simulation = {
      identityPolicies: this.policiesOf(principal.roleLogicalId),
      serviceControlPolicies: [],
      resourceControlPolicies: [],
      request: {
        action: check.action,
        principal: `arn:aws:sts::${ACCOUNT}:assumed-role/${roleName}/rehearsal`,
        resource: { resource: check.resource, accountId: ACCOUNT },
        contextVariables: { 'aws:SecureTransport': 'true', ...(check.context ?? {}) },
      },
    };
    const res = await runSimulation(simulation, {});
    let result =
      res.resultType === 'error' ? `SimulationError ${JSON.stringify(res.errors).slice(0, 300)}` : res.overallResult;
    if (result === 'ImplicitlyDenied' && res.resultType === 'single' && nullConditionsHold(res.result, { ...(check.context ?? {}) })) result = 'Allowed';
    const verdict = { check, principal, result };
    this.verdicts.push(verdict);
    return verdict;
  }

  denials(): Verdict[] {
    return this.verdicts.filter((v) => v.result !== 'Allowed');
  }
}

/**
 * iam-simulate 0.1.173 does not see `kms:EncryptionContext:<key>` variables in a
 * `Null` condition (it reports NoMatch even when the key is present). An Allow
 * statement whose action and resource match and whose every other condition matched
 * is evaluated here for its `Null` conditions: "false" means the key is present.
 */
function nullConditionsHold(result: unknown, context: Record<string, unknown>): boolean {
  type Cond = { operator: string; conditionKeyValue: string; matches: boolean; values: { value: string } | Array<{ value: string }> };
  type Unmatched = { explain: { effect?: string; actionMatch: boolean; resourceMatch: boolean; principalMatch: string; conditions?: Cond[] } };
  const stmts = ((result as { analysis?: { identityAnalysis?: { unmatchedStatements?: Unmatched[] } } }).analysis?.identityAnalysis?.unmatchedStatements ?? []);
  const present = (key: string) => Object.keys(context).some((k) => k.toLowerCase() === key.toLowerCase());
  return stmts.some((s) => {
    const e = s.explain;
    if (e.effect !== 'Allow' || !e.actionMatch || !e.resourceMatch || e.principalMatch !== 'Match' || !e.conditions) return false;
    return e.conditions.every((c) => {
      if (c.matches) return true;
      if (c.operator !== 'Null') return false;
      const expected = (Array.isArray(c.values) ? c.values : [c.values]).map((v) => v.value);
      return expected.every((v) => (v === 'false') === present(c.conditionKeyValue));
    });
  });
}
