import * as fs from 'node:fs';
import * as path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ENTRY_METADATA_KEY, HANDLERS_DIR, LAMBDA_HANDLERS, PUBLISHER_TASK_ENTRY, repoPath } from '../../lib/handlers.js';
import { resourcesOf, type Synthesized, synthStack } from './synth.js';

// `export const handler`, `export async function handler`, `export { x as handler }` and friends.
const EXPORTS_HANDLER = /export\s+(?:const|let|var|async\s+function|function)\s+handler\b|export\s*\{[^}]*\bhandler\b[^}]*\}/;

/** Logical ids of functions that CDK itself adds (BucketDeployment's singleton handler). */
const CDK_OWNED_FUNCTION = /^CustomCDKBucketDeployment[0-9A-F]{32}/;

let s: Synthesized;

beforeAll(() => {
  s = synthStack();
});

const handlerFiles = (): string[] =>
  fs
    .readdirSync(repoPath(HANDLERS_DIR))
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts') && !f.endsWith('.d.ts'))
    .map((f) => `${HANDLERS_DIR}/${f}`)
    .sort();

describe('Handlers drift', () => {
  it('wires every file in functions/handlers/ to a function or the publisher container', () => {
    const wired = new Set<string>([...Object.values(LAMBDA_HANDLERS), PUBLISHER_TASK_ENTRY]);
    const unwired = handlerFiles().filter((f) => !wired.has(f));
    expect(unwired, 'handler files the stack does not deploy').toEqual([]);
  });

  it('finds every Lambda entry file, exporting `handler`', () => {
    for (const entry of Object.values(LAMBDA_HANDLERS)) {
      const file = repoPath(entry);
      expect(fs.existsSync(file), entry).toBe(true);
      expect(fs.readFileSync(file, 'utf8'), `${entry} exports handler`).toMatch(EXPORTS_HANDLER);
    }
  });

  it('points every function of the stack at an existing handler file', () => {
    // CDK-owned handlers (the dashboard upload, present when web/dist is built) are not ours to map.
    const functions = Object.entries(resourcesOf(s.template, 'AWS::Lambda::Function')).filter(
      ([id]) => !CDK_OWNED_FUNCTION.test(id),
    );
    expect(functions.length).toBe(Object.keys(LAMBDA_HANDLERS).length);
    for (const [id, fn] of functions) {
      const entry = fn.Metadata?.[ENTRY_METADATA_KEY];
      expect(typeof entry, `${id} records its entry`).toBe('string');
      expect(path.dirname(String(entry)), id).toBe(HANDLERS_DIR);
      expect(fs.existsSync(repoPath(String(entry))), `${id} -> ${String(entry)}`).toBe(true);
      expect(fn.Properties?.Handler).toBe('index.handler');
    }
  });

  it('bundles the publisher task entry in the container recipe', () => {
    const dockerfile = fs.readFileSync(repoPath('builder-ami/publisher-image/Dockerfile'), 'utf8');
    expect(dockerfile).toContain(PUBLISHER_TASK_ENTRY);
    expect(dockerfile).toMatch(/ENTRYPOINT \["node", "\/app\/publisher-task\.mjs"\]/);
  });
});
