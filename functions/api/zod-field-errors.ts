import type { ZodError } from 'zod';
import type { FieldProblem } from '../core/errors.js';

/**
 * zod issues → upstream's per-field form problems. Upstream validates input with
 * wtforms, so a client sees wtforms' wording (`This field is required.`, `Not a valid
 * choice.`, `Invalid URL.`); scripts match on those lines, so we say the same. The
 * field is the wire key (`chroots`, not `chroots.0`); a problem with the whole body
 * is reported under `None`, as upstream does for form-level errors.
 */
type Issue = ZodError['issues'][number];

const DEFAULT_REGEX_MESSAGE = /^Invalid string/;
/** zod's own (English) wording; any other message was written for users by a schema. */
const ZOD_DEFAULT = /^(Invalid input(: .*)?|Invalid option: .*|Too (big|small): .*|Invalid string: .*|Invalid URL|Invalid email address)$/s;

function typeMessage(issue: Extract<Issue, { code: 'invalid_type' }>): string {
  if (/received undefined$/.test(issue.message)) return 'This field is required.';
  switch (issue.expected) {
    case 'number':
    case 'int':
    case 'bigint':
      return 'Not a valid integer value.';
    case 'boolean':
      return 'Not a valid choice.';
    default:
      return 'Not a valid value.';
  }
}

function bound(v: number | bigint): string {
  return String(v);
}

function issueMessage(issue: Issue): string {
  switch (issue.code) {
    case 'invalid_type':
      return typeMessage(issue);
    case 'invalid_value':
      return 'Not a valid choice.';
    case 'invalid_union': {
      // Lenient inputs are unions (bool or "True", list or space-separated string):
      // the first alternative says what was wanted.
      const first = issue.errors[0]?.[0];
      return first ? issueMessage(first) : 'Not a valid value.';
    }
    case 'too_big':
      if (issue.origin === 'string') return `Field cannot be longer than ${bound(issue.maximum)} characters.`;
      if (issue.origin === 'number' || issue.origin === 'int') return `Number must be at most ${bound(issue.maximum)}.`;
      return `At most ${bound(issue.maximum)} items are allowed.`;
    case 'too_small':
      if (issue.origin === 'string') {
        return Number(issue.minimum) <= 1 ? 'This field is required.' : `Field must be at least ${bound(issue.minimum)} characters long.`;
      }
      if (issue.origin === 'number' || issue.origin === 'int') return `Number must be at least ${bound(issue.minimum)}.`;
      return Number(issue.minimum) <= 1 ? 'This field is required.' : `At least ${bound(issue.minimum)} items are required.`;
    case 'invalid_format':
      if (issue.format === 'url') return 'Invalid URL.';
      if (issue.format === 'email') return 'Invalid email address.';
      return issue.format === 'regex' && DEFAULT_REGEX_MESSAGE.test(issue.message) ? 'Invalid input.' : issue.message;
    default:
      // Custom refinements carry a message written for users.
      return issue.message;
  }
}

export function zodFieldProblems(err: ZodError): FieldProblem[] {
  return err.issues.map((issue) => {
    // List positions are not fields (`pkgs`, not `pkgs.0`); nested keys are (`bob.admin`).
    const keys = issue.path.filter((k): k is string => typeof k === 'string');
    const field = keys.length > 0 ? keys.join('.') : 'None';
    return { field, message: ZOD_DEFAULT.test(issue.message) ? issueMessage(issue) : issue.message };
  });
}
