import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The one list of code entry points the stack deploys. The stack creates one
 * Lambda function (or, for the publisher, one container) per entry, and
 * test/cdk/drift.test.ts checks this list against `functions/handlers/`.
 */

/** Repository root (this file lives in `<root>/lib`). */
export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export const HANDLERS_DIR = 'functions/handlers';

export const LAMBDA_HANDLERS = {
  api: `${HANDLERS_DIR}/api.ts`,
  dispatcher: `${HANDLERS_DIR}/dispatcher.ts`,
  reaper: `${HANDLERS_DIR}/reaper.ts`,
  publishTrigger: `${HANDLERS_DIR}/publish-trigger.ts`,
  actions: `${HANDLERS_DIR}/actions.ts`,
  maintenance: `${HANDLERS_DIR}/maintenance.ts`,
  resultsListing: `${HANDLERS_DIR}/results-listing.ts`,
  bootstrap: `${HANDLERS_DIR}/bootstrap.ts`,
} as const;

export type LambdaName = keyof typeof LAMBDA_HANDLERS;

/** Entry run by the publisher container (bundled by its Dockerfile, not by NodejsFunction). */
export const PUBLISHER_TASK_ENTRY = `${HANDLERS_DIR}/publisher-task.ts`;

/** Resource metadata key that records which source file a function was bundled from. */
export const ENTRY_METADATA_KEY = 'copr:entry';

export const repoPath = (relative: string): string => path.join(REPO_ROOT, relative);
