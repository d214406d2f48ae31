import { gzipSync } from 'node:zlib';
import { resultDirName, type Build, type BuildChroot, type Nevra } from './build-model.js';
import type { CheckedSubmission } from './build-check.js';
import { newBuild } from './builds.js';
import { fieldError } from './errors.js';
import { buildFinishedEvent, emitSafely } from './events.js';
import { epochSeconds, type LifecycleDeps } from './lifecycle-deps.js';
import { isValidPackageName, MAX_NAME_LENGTH, parseChrootName } from './names.js';
import { rpmResultPrefix } from './results-store.js';
import { archFitsChroot, type RpmHeaderInfo } from './rpm-header.js';
import { ensurePackage } from './task-outcome.js';

/**
 * A build made of an uploaded, already built binary RPM (copr-cli `uploadrpm`,
 * `POST /api_3/build/create/rpm-upload`). Upstream Copr records such a build with
 * its source stage done and lets a builder fetch the file, check its arch against
 * the chroot and hand it to the usual signing and createrepo. Here no builder is
 * involved: the header was read and checked before anything is written, the file
 * goes straight into each chroot's result dir with the `results.json` and
 * `success` a builder would have left, the build is recorded as succeeded, and
 * the same publish request a finished RPM stage makes signs it with the project's
 * key and adds it to the chroot's repository.
 */

export const RPM_UPLOAD_SOURCE = 'rpm_upload' as const;

export interface UploadedRpm {
  /** The file name as sent (already checked to be a safe `.rpm` name). */
  filename: string;
  header: RpmHeaderInfo;
  /**
   * Stores the uploaded file at `key` of the results store. Called once: a file
   * staged on disk is moved, not copied (further chroots copy the stored one).
   */
  storeAt(key: string): Promise<void>;
}

/** `E:V-R` as Copr shows a build's `source_package.version`. */
function versionOf(h: RpmHeaderInfo): string {
  return `${h.epoch !== null && h.epoch !== 0 ? `${h.epoch}:` : ''}${h.version}-${h.release}`;
}

/**
 * The chroots the package goes to: those asked for, each of which must take its
 * arch; without a choice, every usable project chroot that takes it (a noarch
 * package goes to all of them).
 */
export function rpmUploadChroots(checked: Pick<CheckedSubmission, 'chroots' | 'usable'>, rpm: Pick<UploadedRpm, 'filename' | 'header'>): string[] {
  const { arch } = rpm.header;
  const fits = (c: string) => archFitsChroot(arch, parseChrootName(c).arch);
  if (checked.chroots !== null) {
    const misfits = checked.chroots.filter((c) => !fits(c));
    if (misfits.length > 0) {
      throw fieldError('pkgs', `${rpm.filename} is built for ${arch}, which does not fit chroot ${misfits.join(', ')}.`);
    }
    if (checked.chroots.length === 0) throw fieldError('None', 'At least one chroot must be selected');
    return checked.chroots;
  }
  const chosen = checked.usable.filter(fits);
  if (chosen.length === 0) {
    throw fieldError('pkgs', `${rpm.filename} is built for ${arch}, which fits none of the project's chroots (${checked.usable.join(', ')}).`);
  }
  return chosen;
}

/** Everything about the package that is refused before any byte is stored. */
export function checkUploadedRpm(rpm: Pick<UploadedRpm, 'filename' | 'header'>): void {
  const h = rpm.header;
  if (h.isSource) {
    throw fieldError('pkgs', `${rpm.filename} is a source RPM; build it with copr-cli build (build/create/upload) instead.`);
  }
  if (!isValidPackageName(h.name)) {
    throw fieldError('pkgs', `Invalid package name '${h.name.slice(0, 120)}': at most ${MAX_NAME_LENGTH} characters of [-+_.a-zA-Z0-9]`);
  }
}

function backendLog(build: Build, chroot: string, rpm: UploadedRpm, nowMs: number): Buffer {
  const stamp = `[${new Date(nowMs).toISOString().replace('T', ' ').slice(0, 19)} UTC]`;
  const h = rpm.header;
  return gzipSync(
    [
      `${stamp} Build ${build.id} in ${build.ownername}/${build.project_dirname}: ${rpm.filename} uploaded by ${build.submitter ?? 'unknown'} (no SRPM or RPM stage)`,
      `${stamp} Header: ${h.name} ${versionOf(h)} ${h.arch}; fits chroot ${chroot}`,
      `${stamp} Result: succeeded; publishing requested (signed with the project's key)`,
      '',
    ].join('\n'),
  );
}

/**
 * Records and publishes the build. Call only after `checkUploadedRpm` and with the
 * chroots of `rpmUploadChroots`: from here on, input is not refused any more. A
 * failure while storing removes what was stored, so the build does not exist.
 */
export async function publishUploadedRpm(deps: LifecycleDeps, checked: CheckedSubmission, rpm: UploadedRpm, chroots: readonly string[]): Promise<Build> {
  const { project, caller } = checked;
  const h = rpm.header;
  const nowMs = deps.clock.now();
  const now = epochSeconds(nowMs);
  const id = await deps.store.nextId('build');
  const build = newBuild(id, project.ownername, project.name, {
    project_dirname: checked.dirname,
    package_name: h.name,
    pkg_version: versionOf(h),
    source_type: RPM_UPLOAD_SOURCE,
    source_dict: { pkg: rpm.filename },
    source_status: 'succeeded',
    submitter: caller?.user.name ?? null,
    submitted_on: now,
    is_background: checked.options.background ?? false,
    timeout: checked.timeout,
    enable_net: checked.options.enable_net ?? project.enable_net,
    chroots_requested: [...chroots],
    exclude_chroots: checked.options.exclude_chroots ?? [],
    source_started_on: now,
    source_ended_on: now,
  });
  const resultDir = resultDirName(id, h.name);
  const nevra: Nevra = { name: h.name, epoch: h.epoch, version: h.version, release: h.release, arch: h.arch };
  const stored: string[] = [];
  try {
    let firstKey: string | null = null;
    for (const chroot of chroots) {
      const prefix = rpmResultPrefix(build.ownername, build.project_dirname, chroot, resultDir);
      stored.push(`${prefix}/`);
      const key = `${prefix}/${rpm.filename}`;
      if (firstKey === null) {
        await rpm.storeAt(key);
        firstKey = key;
      } else {
        if (!(await deps.results.copy(firstKey, key))) throw new Error(`the stored upload ${firstKey} vanished`);
      }
      await deps.results.put(`${prefix}/results.json`, `${JSON.stringify({ packages: [nevra] }, null, 2)}\n`);
      await deps.results.put(`${prefix}/backend.log.gz`, backendLog(build, chroot, rpm, nowMs));
      // Copr's contract: a result dir with `success` is a finished, good build.
      await deps.results.put(`${prefix}/success`, '');
    }
    const rows: BuildChroot[] = chroots.map((name) => ({
      build_id: id,
      name,
      state: 'succeeded',
      started_on: now,
      ended_on: now,
      result_dir: resultDir,
      fail_reason: null,
      packages: [nevra],
    }));
    await deps.builds.createBuild(build, rows, [], null);
  } catch (err) {
    for (const prefix of stored) await deps.results.deletePrefix(prefix).catch(() => undefined);
    throw err;
  }
  // The package row has no stored source: an uploaded binary cannot be rebuilt (build-package says so).
  await ensurePackage(deps, project, h.name, { ...build, source_type: 'unset', source_dict: {} });
  for (const chroot of chroots) {
    await deps.publish({ owner: build.ownername, dirname: build.project_dirname, chroot, adds: [resultDir], devel: project.devel_mode });
    const ref = { task_id: `${id}-${chroot}`, build_id: id, chroot, owner: build.ownername, project: build.projectname };
    await emitSafely(deps, () => buildFinishedEvent(ref, 'succeeded', nowMs), { build_id: id, task_id: ref.task_id });
  }
  return build;
}
