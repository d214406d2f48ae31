// Agent settings that differ between the dev machine, tests and the builder AMI.
import { fileURLToPath } from 'node:url';
import { DEFAULT_MAX_DOWNLOAD_BYTES } from './download.js';
import { DEFAULT_LOOKASIDE_INSTANCES, type LookasideInstance } from './lookaside-config.js';

export interface AgentConfig {
  /** Cap for any single download (SRPM, sdist, gem, spec). */
  maxDownloadBytes: number;
  /** PyPI base URL; the JSON API lives at <index>/pypi/<name>/json. */
  pypiIndexUrl: string;
  /** RubyGems base URL; the API lives at <host>/api/v1/gems/<name>.json. */
  rubygemsUrl: string;
  /** Fedora version fedora-rawhide chroots build for (%dist .fcN). */
  rawhideVersion: number;
  /**
   * Whether clone URLs may name the builder's own disk (paths, file://). Off by default: the
   * clone runs on the host, so it would let any user build (and publish) any git repository
   * the agent can read. Tests and development setups with local repositories turn it on.
   */
  allowLocalGitSources: boolean;
  /** %vendor of built packages; null = Copr's default, "Unknown Copr - user <owner>". */
  vendor: string | null;
  /**
   * tito installed with `pip --target` for the system python3 (scripts/ensure-tito.sh);
   * `scm` builds with the tito methods fail with a reason where it is missing.
   */
  titoDir: string;
  /** DistGit instances and their lookaside caches, for `sources` files (lookaside-config.ts). */
  distgitLookaside: readonly LookasideInstance[];
}

export const DEFAULT_AGENT_CONFIG: AgentConfig = {
  maxDownloadBytes: DEFAULT_MAX_DOWNLOAD_BYTES,
  pypiIndexUrl: 'https://pypi.org',
  rubygemsUrl: 'https://rubygems.org',
  rawhideVersion: 44,
  allowLocalGitSources: false,
  vendor: null,
  // From a checkout: <repo>/.builder-tools/tito (not there in the AMI's agent bundle).
  titoDir: fileURLToPath(new URL('../../.builder-tools/tito', import.meta.url)),
  distgitLookaside: DEFAULT_LOOKASIDE_INSTANCES,
};
