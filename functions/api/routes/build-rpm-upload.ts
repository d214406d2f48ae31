import { open } from 'node:fs/promises';
import { fieldError } from '../../core/errors.js';
import { bufferReader, readRpmHeader, RpmHeaderError, type ByteReader, type RpmHeaderInfo } from '../../core/rpm-header.js';
import { checkUploadedRpm, rpmUploadChroots, type UploadedRpm } from '../../core/rpm-upload.js';
import type { AppContext } from '../context.js';
import { multipartBody, type UploadedFile } from '../input.js';
import type { AuthedRequest, Route } from '../router.js';
import { checkInlineUploadSize, rpmUploadTooLargeMessage } from '../uploads.js';
import { buildView, DEFAULT_MAX_UPLOAD_BYTES, optionsOf, OptionsBody } from './build-create.js';

/**
 * `POST /api_3/build/create/rpm-upload` (copr-cli 2.6 `uploadrpm PROJECT file.rpm`,
 * python-copr 2.7 `create_from_rpm_upload`): the same multipart request as an SRPM
 * upload, one `pkgs` file part of an already built binary RPM plus the `json` part
 * with the build options. The whole request is checked (fields, who may build,
 * chroots, the package header and its arch) before anything is stored; the build
 * itself is functions/core/rpm-upload.ts.
 */

/** A plain basename ending in `.rpm` (a `.src.rpm` name passes here; its header decides). */
function isSafeRpmName(name: string): boolean {
  return name.length <= 255 && /^[A-Za-z0-9_+][A-Za-z0-9._+~-]*\.rpm$/.test(name);
}

/** Reads a staged upload on disk a piece at a time: a header is read, never the whole file. */
async function withFileReader<T>(path: string, use: (read: ByteReader) => Promise<T>): Promise<T> {
  const fh = await open(path, 'r');
  try {
    return await use(async (offset, length) => {
      const buf = Buffer.alloc(length);
      const { bytesRead } = await fh.read(buf, 0, length, offset);
      return buf.subarray(0, bytesRead);
    });
  } finally {
    await fh.close();
  }
}

async function headerOf(file: UploadedFile): Promise<RpmHeaderInfo> {
  try {
    if (file.path !== undefined) return await withFileReader(file.path, readRpmHeader);
    return await readRpmHeader(bufferReader(file.data));
  } catch (err) {
    if (err instanceof RpmHeaderError) throw fieldError('pkgs', `${file.filename} is not a readable RPM package: ${err.message}.`);
    throw err;
  }
}

function createFromRpmUpload(maxUploadBytes: number) {
  return async (req: AuthedRequest, ctx: AppContext) => {
    const limit = Math.min(maxUploadBytes, ctx.config.MAX_UPLOAD_BYTES);
    checkInlineUploadSize(req.body.length, req.headers['content-length'], limit, ctx.config.FRONTEND_URL, rpmUploadTooLargeMessage);
    const form = await multipartBody(req, { maxFileBytes: limit, maxFiles: 1 });
    const body = OptionsBody.parse(form.json);
    const file = form.files.find((f) => f.field === 'pkgs');
    if (!file) throw fieldError('pkgs', 'This field is required.');
    if (!isSafeRpmName(file.filename)) {
      throw fieldError('pkgs', `Invalid file name '${file.filename}' (a plain .rpm file name)`);
    }
    const checked = await ctx.app.builds.check(req.caller, body.ownername, body.projectname, optionsOf(body));
    const header = await headerOf(file);
    const rpm: UploadedRpm = {
      filename: file.filename,
      header,
      storeAt: (key) => (file.path !== undefined ? ctx.app.ports.results.putFile(key, file.path) : ctx.app.ports.results.put(key, file.data)),
    };
    checkUploadedRpm(rpm);
    const chroots = rpmUploadChroots(checked, rpm);
    return buildView(ctx, await ctx.app.builds.publishRpm(checked, rpm, chroots));
  };
}

export function rpmUploadRoute(maxUploadBytes: number = DEFAULT_MAX_UPLOAD_BYTES): Route {
  return {
    method: 'POST',
    path: '/api_3/build/create/rpm-upload',
    auth: true,
    handler: createFromRpmUpload(maxUploadBytes),
    body: { multipart: { maxFileBytes: maxUploadBytes, maxFiles: 1 } },
  };
}
