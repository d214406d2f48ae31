import { posix } from 'node:path';

/** Inputs of one createrepo_c run, decided by the caller from the filesystem. */
export interface CreaterepoPlan {
  /** `<results>/<owner>/<dirname>/<chroot>`: the input directory. */
  chrootDir: string;
  chroot: string;
  owner: string;
  dirname: string;
  adds: readonly string[];
  deletes: readonly string[];
  /** Individual package paths to drop (prunerepo; packages gone from a partial mirror's bucket). */
  rpmsToRemove?: readonly string[];
  /** Run even with nothing added or removed (comps changed, regenerate on a partial mirror). */
  force?: boolean;
  full: boolean;
  devel: boolean;
  /** Whether the target repodata (public or devel) exists already. */
  repodataExists: boolean;
  /** Whether `<chrootDir>/comps.xml` exists. */
  compsExists: boolean;
  /** Stat old packages instead of trusting their recorded size/mtime. */
  doStat?: boolean;
  /** `<results base URL>` (…/results), for the devel repository's absolute package URLs. */
  resultsBaseUrl: string;
  /** Defaults to `<chrootDir>/.copr-createrepo-pkglist` (spec §4.9). */
  pkglistPath?: string;
  /**
   * Where createrepo_c writes `repodata/`. Defaults to the chroot dir (or `devel/`);
   * the publisher passes a staging dir so the live metadata is swapped in atomically.
   */
  outputDir?: string;
  cachedir?: string;
}

const FIXED = ['--no-database', '--ignore-lock', '--local-sqlite', '--workers', '8', '--general-compress-type=gz'];

/** EL5's yum reads only SHA-1 metadata and MD5 package checksums (upstream copr-repo). */
export const legacyChecksums = (chroot: string): boolean => /^(epel|rhel)-5-/.test(chroot);

/** True when createrepo_c has nothing to do (spec §4.9: skipped entirely). */
export function createrepoNeeded(p: Pick<CreaterepoPlan, 'adds' | 'deletes' | 'rpmsToRemove' | 'full' | 'repodataExists' | 'force'>): boolean {
  return p.full || p.force === true || !p.repodataExists || p.adds.length > 0 || p.deletes.length > 0 || (p.rpmsToRemove?.length ?? 0) > 0;
}

/**
 * A full scan: explicitly requested, or there is no metadata yet and the run only
 * removes builds (rebuilding lost metadata from the directory, minus those). A first
 * run that names builds lists only them, and one that names nothing is an empty
 * repository: a scan would also take the results of other builds that are still
 * uploading or not signed yet (their own publish would add them a second time), or
 * those of a devel-mode project, which its main repository must not list.
 */
export function isFullRun(p: Pick<CreaterepoPlan, 'full' | 'repodataExists' | 'adds' | 'deletes' | 'rpmsToRemove'>): boolean {
  const removes = p.deletes.length + (p.rpmsToRemove?.length ?? 0) > 0;
  return p.full || (!p.repodataExists && p.adds.length === 0 && removes);
}

/**
 * The createrepo_c argument list of upstream `copr-repo` (spec §4.9). With `--update`,
 * `--recycle-pkglist` and `--skip-stat`, createrepo_c reuses the old metadata and only
 * reads the packages named in `--pkglist`: the cost follows the new packages, not the
 * repository size. Returns null when the run is to be skipped.
 */
export function createrepoArgs(p: CreaterepoPlan): string[] | null {
  if (!createrepoNeeded(p)) return null;
  const full = isFullRun(p);
  const args = [p.chrootDir, ...FIXED.slice(0, 3), '--cachedir', p.cachedir ?? '/tmp/', ...FIXED.slice(3)];
  if (legacyChecksums(p.chroot)) args.push('-s', 'sha', '--checksum', 'md5');
  if (p.compsExists) args.push('--groupfile', posix.join(p.chrootDir, 'comps.xml'));
  if (p.repodataExists) {
    args.push('--update');
    if (!p.doStat) args.push('--skip-stat');
    if (!p.full) args.push('--recycle-pkglist');
  }
  for (const d of p.deletes) args.push('--excludes', `*${d}/*`);
  for (const r of p.rpmsToRemove ?? []) args.push('--excludes', r);
  // A full run scans the directory; any other reads only the pkglist (empty: a new repository that lists nothing).
  if ((p.adds.length > 0 || !p.repodataExists) && !full) args.push('--pkglist', p.pkglistPath ?? posix.join(p.chrootDir, '.copr-createrepo-pkglist'));
  if (p.devel) {
    args.push('--outputdir', p.outputDir ?? posix.join(p.chrootDir, 'devel'));
    args.push('--baseurl', `${p.resultsBaseUrl}/${p.owner}/${p.dirname}/${p.chroot}`);
  } else if (p.outputDir) {
    args.push('--outputdir', p.outputDir);
  }
  return args;
}
