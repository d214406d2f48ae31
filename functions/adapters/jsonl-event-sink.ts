import { appendFile, mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { CoprEvent, type EventSink } from '../core/events.js';

/**
 * Local notifications: one JSON object per line in `<data dir>/events.jsonl`.
 * Appends are chained so lines never interleave within this process; other
 * processes (the admin CLI) append whole lines with O_APPEND, which the kernel
 * keeps intact for writes this small.
 */
export class JsonlEventSink implements EventSink {
  private chain: Promise<void> = Promise.resolve();

  constructor(readonly path: string) {}

  static inDataDir(dataDir: string): JsonlEventSink {
    return new JsonlEventSink(join(dataDir, 'events.jsonl'));
  }

  publish(event: CoprEvent): Promise<void> {
    const line = `${JSON.stringify(CoprEvent.parse(event))}\n`;
    const next = this.chain.then(async () => {
      await mkdir(dirname(this.path), { recursive: true });
      await appendFile(this.path, line, { mode: 0o600 });
    });
    // A failed append must not poison every later one.
    this.chain = next.catch(() => undefined);
    return next;
  }
}
