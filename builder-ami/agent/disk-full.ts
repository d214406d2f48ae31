// A full disk is a builder problem, not the user's: it must end the build with a reason a
// human understands, and it must never crash the agent (an append that throws inside a
// child process' output handler would otherwise be an uncaught exception).
import { appendFileSync } from 'node:fs';

export const DISK_FULL_REASON = 'no space left on device on the builder (disk full)';

/** ENOSPC / EDQUOT from a Node fs call. */
export function isDiskFullError(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException | null)?.code;
  return code === 'ENOSPC' || code === 'EDQUOT';
}

/** The strerror texts tools print for the same errno values. */
export function mentionsDiskFull(text: string): boolean {
  return /No space left on device|Disk quota exceeded/.test(text);
}

/** Appends to a file and remembers the first failure instead of throwing. */
export class SafeAppender {
  private failure: unknown = null;

  constructor(private readonly file: string) {}

  append(text: string): void {
    if (this.failure !== null) return;
    try {
      appendFileSync(this.file, text);
    } catch (err) {
      this.failure = err;
    }
  }

  /** The first write error, if any (null while every write succeeded). */
  get error(): unknown {
    return this.failure;
  }
}
