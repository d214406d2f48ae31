import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { buildSync } from 'esbuild';
import { repoPath } from './handlers.js';

/** The builder agent's entry point, bundled into the one file the AMI recipe installs. */
export const AGENT_ENTRY = 'builder-ami/agent/main.ts';
/** File name of the bundle (the recipe installs it as /opt/copr-builder/agent.mjs). */
export const AGENT_BUNDLE_NAME = 'agent.mjs';

/**
 * Bundles the builder agent with esbuild at synth time: one ESM file for the Node
 * the builder AMI installs, with a `require` shim for CommonJS dependencies. The
 * output depends only on the sources, so the asset hash (and with it the image
 * recipe version) changes exactly when the agent does.
 * @returns the path of the bundle
 */
export function bundleAgent(outDir: string = fs.mkdtempSync(path.join(os.tmpdir(), 'copr-agent-'))): string {
  const outfile = path.join(outDir, AGENT_BUNDLE_NAME);
  buildSync({
    entryPoints: [repoPath(AGENT_ENTRY)],
    absWorkingDir: repoPath('.'),
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'esm',
    outfile,
    minify: false,
    legalComments: 'none',
    logLevel: 'warning',
    banner: { js: "import { createRequire } from 'module';const require = createRequire(import.meta.url);" },
  });
  return outfile;
}
