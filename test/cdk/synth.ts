import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { bundleAgent } from '../../lib/agent-bundle.js';
import { CoprStack, type CoprStackProps } from '../../lib/copr-stack.js';
import { repoPath } from '../../lib/handlers.js';
import { parseSettings } from '../../lib/settings.js';

/** The context of cdk.json (feature flags included), so tests synthesize what `cdk synth` does. */
export const CDK_JSON_CONTEXT = (JSON.parse(readFileSync(repoPath('cdk.json'), 'utf8')) as { context: Record<string, unknown> }).context;

/** A synthesized stack plus its template, built without bundling (esbuild output is not under test here). */
export interface Synthesized {
  readonly stack: CoprStack;
  readonly template: Template;
  /** cdk-nag findings (rule id + construct paths) that nobody acknowledged. */
  nagFindings(): string[];
}

/** One temp dir per test process for synth output, removed when the process ends. */
let outRoot: string | null = null;
function cdkOutDir(): string {
  if (!outRoot) {
    const root = mkdtempSync(join(tmpdir(), 'copr-cdk-test-'));
    outRoot = root;
    process.on('exit', () => rmSync(root, { recursive: true, force: true }));
  }
  return mkdtempSync(join(outRoot, 'out-'));
}

/** A stand-in dashboard build (the real one is built by scripts/build-web.sh), one per process. */
let webFixture: string | null = null;
export function fixtureWebDist(): string {
  if (!webFixture) {
    webFixture = mkdtempSync(join(cdkOutDir(), 'web-dist-'));
    writeFileSync(join(webFixture, 'index.html'), '<!doctype html><title>Copr</title>');
  }
  return webFixture;
}

/** The agent bundle, built once per process (the stack would bundle it on every synth). */
let agentBundle: string | null = null;
export function fixtureAgentBundle(): string {
  agentBundle ??= bundleAgent(mkdtempSync(join(cdkOutDir(), 'agent-')));
  return agentBundle;
}

export function synthStack(
  context: Record<string, unknown> = {},
  extra: Partial<Omit<CoprStackProps, 'settings'>> = {},
): Synthesized {
  const app = new App({ outdir: cdkOutDir(), context: { ...CDK_JSON_CONTEXT, 'aws:cdk:bundling-stacks': [] } });
  const settings = parseSettings((key) => context[key] ?? CDK_JSON_CONTEXT[key]);
  const stack = new CoprStack(app, 'CoprTest', {
    settings,
    webDistDir: fixtureWebDist(),
    agentBundlePath: fixtureAgentBundle(),
    ...extra,
  });
  const template = Template.fromStack(stack);
  return {
    stack,
    template,
    nagFindings: () =>
      new AwsSolutionsChecks(app)
        .validateScope(stack)
        .violations.map((v) => `${v.ruleName} @ ${v.violatingResources.map((r) => r.constructPath).join(', ')}`),
  };
}

type Resources = Record<string, { Type: string; Properties?: Record<string, unknown>; Metadata?: Record<string, unknown> }>;

/** Resources of one type, by logical id. */
export function resourcesOf(template: Template, type: string): Resources {
  return template.findResources(type) as Resources;
}

/** One IAM policy statement as CloudFormation holds it. */
export interface Statement {
  readonly Sid?: string;
  readonly Action: string | string[];
  readonly Resource: unknown;
  readonly Condition?: Record<string, Record<string, unknown>>;
}

/** Every statement granted to a role (through its inline/default policies), by role logical id. */
export function statementsOfRole(template: Template, roleLogicalId: string): Statement[] {
  const statements: Statement[] = [];
  for (const policy of Object.values(resourcesOf(template, 'AWS::IAM::Policy'))) {
    const roles = (policy.Properties?.Roles ?? []) as unknown[];
    if (!roles.some((r) => JSON.stringify(r) === JSON.stringify({ Ref: roleLogicalId }))) continue;
    statements.push(...(policy.Properties?.PolicyDocument as { Statement: Statement[] }).Statement);
  }
  return statements;
}

/** The actions of a statement, always as a list. */
export const actionsOf = (st: Statement): string[] => ([] as string[]).concat(st.Action);

/** Every IAM action granted to a role (through its inline/default policies), by role logical id. */
export function actionsOfRole(template: Template, roleLogicalId: string): string[] {
  return statementsOfRole(template, roleLogicalId).flatMap(actionsOf);
}
