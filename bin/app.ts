import { App } from 'aws-cdk-lib';
import { CoprStack } from '../lib/copr-stack.js';
import { addNagChecks } from '../lib/nag.js';
import { parseSettings } from '../lib/settings.js';

// Region/account come from the CLI environment at deploy time; the stack itself is
// environment-agnostic so `cdk synth` works offline without credentials.
const app = new App();
const settings = parseSettings((key) => app.node.tryGetContext(key));
new CoprStack(app, `Copr-${settings.stage}`, {
  settings,
  description: `Copr, rebuilt serverless (${settings.stage})`,
  terminationProtection: settings.stage === 'prod',
});
addNagChecks(app);
