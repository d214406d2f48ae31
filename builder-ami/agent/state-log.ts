// Copr's `state.log` of an RPM result dir: mock's record of which phase of the build ran
// when ("Start: …" / "Finish: …", timestamped), so a reader sees where a build spent its
// time or stopped. A bwrap build has no mock to write it, so the RPM stage writes the same
// kind of record for its own phases; a mock build ships mock's (rpm-stage.ts).
import { join } from 'node:path';
import { SafeAppender } from './disk-full.js';

export const STATE_LOG = 'state.log';

/** Mock's timestamp shape: `2026-12-04 05:20:01,123` (UTC here). */
function stamp(date: Date): string {
  const iso = date.toISOString();
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)},${iso.slice(20, 23)}`;
}

export class StateLog {
  private readonly file: SafeAppender;

  constructor(
    metaDir: string,
    private readonly now: () => Date = () => new Date(),
  ) {
    // A failed write must not fail the build: the log explains a result, it is not one.
    this.file = new SafeAppender(join(metaDir, STATE_LOG));
  }

  private mark(text: string): void {
    this.file.append(`${stamp(this.now())} - ${text}\n`);
  }

  /** Runs `fn` as the phase `what`; its Finish line is written however it ends, as mock does. */
  async phase<T>(what: string, fn: () => Promise<T>): Promise<T> {
    this.mark(`Start: ${what}`);
    try {
      return await fn();
    } finally {
      this.mark(`Finish: ${what}`);
    }
  }
}
