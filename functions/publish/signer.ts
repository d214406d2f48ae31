/** Public half of a project's signing key. */
export interface ProjectKey {
  /** 40-hex-digit OpenPGP v4 fingerprint (upper case). */
  fingerprint: string;
  /** ASCII-armored public key, published as `<owner>/<dirname>/pubkey.gpg`. */
  publicKeyArmored: string;
}

/**
 * Signing port. One key per project (`owner/project`); every dirname of a project
 * (`proj`, `proj:pr:12`) is signed with the project's key, like upstream Copr.
 * The private key never leaves the adapter.
 */
export interface Signer {
  /** Returns the project's key, generating it on first use. */
  ensureKey(owner: string, project: string): Promise<ProjectKey>;
  /** Adds (or replaces) the RPM header signature of each file, in place. */
  signRpms(owner: string, project: string, files: readonly string[]): Promise<void>;
  /** Writes `<file>.asc`, an armored detached signature of `file`. */
  signDetached(owner: string, project: string, file: string): Promise<void>;
  /** Runs `fn` as one use of the project's key: whatever signing needs running (an agent) is set up once for it. */
  session?<T>(owner: string, project: string, fn: () => Promise<T>): Promise<T>;
}

/** Copr's key naming: `<owner>_<project> (None) <owner>#<project>@copr.fedorahosted.org`. */
export function keyUserId(owner: string, project: string): { name: string; comment: string; email: string } {
  return { name: `${owner}_${project}`, comment: 'None', email: `${owner}#${project}@copr.fedorahosted.org` };
}

/** The project part of a dirname: `proj:pr:12` → `proj`. */
export function projectOfDirname(dirname: string): string {
  return dirname.split(':')[0] ?? dirname;
}
