/**
 * The bucket key of a request path inside a result dir (`<owner>/<project>/…/<file>`) and
 * its file name, or null: undecodable, hidden (`.x`), escaping (`..`), empty-segment and
 * upload (`_uploads/`) paths never reach the bucket through the CDN's log routes.
 */
export function resultKeyOf(rawPath: string): { key: string; name: string } | null {
  let key: string;
  try {
    key = decodeURIComponent(rawPath).replace(/^\/+/, '');
  } catch {
    return null;
  }
  const segments = key.split('/');
  if (segments.length < 2 || key.includes('\0')) return null;
  if (segments.some((s) => s === '' || s === '..' || s.startsWith('.') || s.startsWith('_'))) return null;
  return { key, name: segments[segments.length - 1] ?? '' };
}
