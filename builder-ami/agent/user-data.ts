// Renders ec2-bootstrap.sh into EC2 user data for one builder: the placeholders become
// single-quoted shell words, so no value can break out of its assignment.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export interface BootstrapValues {
  apiUrl: string;
  taskId: string;
  credential: string;
  /** Warm builders: the builder credential (next-task calls) and the idle period in seconds. */
  builderCredential?: string;
  idleSeconds?: number;
  /** JSON list of DistGit instances and their lookaside caches (COPR_DISTGIT_LOOKASIDE); empty: the agent's defaults. */
  distgitLookaside?: string;
}

export const BOOTSTRAP_SCRIPT_PATH = fileURLToPath(new URL('./ec2-bootstrap.sh', import.meta.url));

function shellWord(value: string): string {
  return `'${value.replaceAll("'", "'\\''")}'`;
}

/** The user-data script text (plain, not base64) for one builder instance. */
export function renderUserData(values: BootstrapValues, template = readFileSync(BOOTSTRAP_SCRIPT_PATH, 'utf8')): string {
  return template
    // Replacer functions: a `$&` or `$'` in a value must stay literal.
    .replace('@@COPR_API_URL@@', () => shellWord(values.apiUrl))
    .replace('@@COPR_TASK_ID@@', () => shellWord(values.taskId))
    .replace('@@COPR_TASK_CREDENTIAL@@', () => shellWord(values.credential))
    .replace('@@COPR_BUILDER_CREDENTIAL@@', () => shellWord(values.builderCredential ?? ''))
    .replace('@@COPR_IDLE_SECONDS@@', () => shellWord(String(values.idleSeconds ?? 0)))
    .replace('@@COPR_DISTGIT_LOOKASIDE@@', () => shellWord(values.distgitLookaside ?? ''));
}
