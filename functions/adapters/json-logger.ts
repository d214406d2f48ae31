import type { LogFields, Logger } from '../core/ports.js';

/**
 * The Logger port as JSON lines on stdout/stderr: CloudWatch Logs indexes the
 * fields on AWS (filter by `build_id`), and a local run can be grepped the same way.
 * `quiet` drops info lines (tests, `COPR_QUIET=1`); errors always go out.
 */
export function jsonLogger(opts: { quiet?: boolean; component?: string } = {}): Logger {
  const line = (level: 'info' | 'error', msg: string, fields: LogFields = {}) =>
    JSON.stringify({ level, ...(opts.component ? { component: opts.component } : {}), msg, ...fields });
  return {
    info(msg, fields) {
      if (!opts.quiet) process.stdout.write(`${line('info', msg, fields)}\n`);
    },
    error(msg, fields) {
      process.stderr.write(`${line('error', msg, fields)}\n`);
    },
  };
}
