// Public logs must not show the builder's host paths (work dir, builder dir, data dir): they
// tell an attacker where secrets live. Paths are replaced by neutral placeholders, per
// chunk while the build runs and once more, line by line, on the file that is shipped
// (a path split across two output chunks escapes the first pass, never the second).
import { createReadStream, createWriteStream, realpathSync } from 'node:fs';
import { once } from 'node:events';
import { createInterface } from 'node:readline';

export interface PrivatePath {
  path: string;
  placeholder: string;
}

export interface PathScrubber {
  scrub(text: string): string;
  /** Writes a scrubbed copy of `source` to `dest`. */
  scrubFile(source: string, dest: string): Promise<void>;
}

function withRealPaths(paths: readonly PrivatePath[]): PrivatePath[] {
  const all: PrivatePath[] = [];
  for (const entry of paths) {
    if (entry.path === '' || entry.path === '/') continue;
    all.push(entry);
    try {
      const real = realpathSync(entry.path);
      if (real !== entry.path) all.push({ path: real, placeholder: entry.placeholder });
    } catch {
      // Not there (yet): the literal path is still worth hiding.
    }
  }
  // Longest first, so the work dir wins over the builder dir that contains it.
  return all.sort((a, b) => b.path.length - a.path.length);
}

export function createPathScrubber(paths: readonly PrivatePath[]): PathScrubber {
  const ordered = withRealPaths(paths);
  const scrub = (text: string): string => ordered.reduce((out, { path, placeholder }) => out.replaceAll(path, placeholder), text);
  return {
    scrub,
    async scrubFile(source: string, dest: string): Promise<void> {
      const out = createWriteStream(dest);
      const failed = once(out, 'error').then(([err]) => Promise.reject(err as Error));
      failed.catch(() => undefined);
      const lines = createInterface({ input: createReadStream(source, 'utf8'), crlfDelay: Infinity });
      for await (const line of lines) {
        if (!out.write(`${scrub(line)}\n`)) await Promise.race([once(out, 'drain'), failed]);
      }
      out.end();
      await Promise.race([once(out, 'finish'), failed]);
    },
  };
}
