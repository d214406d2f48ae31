import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { repoPath } from './handlers.js';

/** The dashboard build the stack uploads by default. */
export const DEFAULT_WEB_DIST = repoPath('web/dist');

/** Builds web/dist when it is missing or older than its sources (quiet when up to date). */
export function buildWebDist(): void {
  execFileSync('bash', [repoPath('scripts/build-web.sh')], { stdio: ['ignore', 'inherit', 'inherit'] });
}

/**
 * Makes sure `distDir` holds a built dashboard before the stack uploads it: a
 * fresh clone has no web/dist, and a stack that silently skipped the upload would
 * deploy a site without its dashboard. `build` runs first (for the default
 * directory: scripts/build-web.sh); if there is still no index.html, synth fails.
 */
export function ensureWebDist(distDir: string, build: (() => void) | undefined): string {
  if (build !== undefined) build();
  const index = path.join(distDir, 'index.html');
  if (!fs.existsSync(index)) {
    throw new Error(`The dashboard is not built: ${index} is missing. Run \`npm run build:web\` (or scripts/build-web.sh) and synthesize again.`);
  }
  return distDir;
}
