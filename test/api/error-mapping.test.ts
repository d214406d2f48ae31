import * as z from 'zod';
import { describe, expect, it } from 'vitest';
import { errorToResult } from '../../functions/api/error-mapping.js';
import { FormError, fieldError, notValidChoice } from '../../functions/core/errors.js';

/** The one place errors become Copr's JSON: per-field form errors from zod and from the domain alike. */
function errorText(err: unknown): { status: number; error: string } {
  const res = errorToResult(err, () => undefined);
  return { status: res.statusCode ?? 0, error: (JSON.parse(String(res.body)) as { error: string }).error };
}

function zodFailure(schema: z.ZodType, input: unknown): unknown {
  const r = schema.safeParse(input);
  if (r.success) throw new Error('expected a validation failure');
  return r.error;
}

describe('per-field form errors', () => {
  it('a domain problem: 400, `<field>: <message>`; several: one line each', () => {
    expect(errorText(fieldError('name', "You already have a project named 'x'."))).toEqual({
      status: 400,
      error: "name: You already have a project named 'x'.",
    });
    const two = new FormError([
      { field: 'repos', message: 'copr://a/b does not exist.' },
      { field: 'None', message: 'At least one chroot must be selected' },
    ]);
    expect(errorText(two).error).toBe('repos: copr://a/b does not exist.\nNone: At least one chroot must be selected');
  });

  it("wtforms' choice wording for one and for several values", () => {
    expect(notValidChoice(['x'])).toBe("'x' is not a valid choice for this field.");
    expect(notValidChoice(['x', 'y'])).toBe("'x', 'y' are not valid choices for this field.");
  });

  it("zod's defaults become wtforms' wording, under the top-level wire key", () => {
    const schema = z.object({
      name: z.string().min(1).max(5),
      chroots: z.array(z.string().max(3)),
      isolation: z.enum(['default', 'simple']).optional(),
      timeout: z.number().int().min(0).max(10).optional(),
      homepage: z.string().url().optional(),
    });
    expect(errorText(zodFailure(schema, { chroots: [] })).error).toBe('name: This field is required.');
    expect(errorText(zodFailure(schema, { name: '', chroots: [] })).error).toBe('name: This field is required.');
    expect(errorText(zodFailure(schema, { name: 'toolong', chroots: [] })).error).toBe('name: Field cannot be longer than 5 characters.');
    expect(errorText(zodFailure(schema, { name: 'a', chroots: ['long'] })).error).toBe('chroots: Field cannot be longer than 3 characters.');
    expect(errorText(zodFailure(schema, { name: 'a', chroots: [], isolation: 'x' })).error).toBe('isolation: Not a valid choice.');
    expect(errorText(zodFailure(schema, { name: 'a', chroots: [], timeout: 11 })).error).toBe('timeout: Number must be at most 10.');
    expect(errorText(zodFailure(schema, { name: 'a', chroots: [], timeout: 'x' })).error).toBe('timeout: Not a valid integer value.');
    expect(errorText(zodFailure(schema, { name: 'a', chroots: [], homepage: 'nope' })).error).toBe('homepage: Invalid URL.');
  });

  it('messages a schema wrote for users are kept; a problem with the whole body is `None`', () => {
    const schema = z.object({ clone_url: z.string().regex(/^https:/, 'Invalid URL (https:// only)') });
    expect(errorText(zodFailure(schema, { clone_url: 'ftp://x' })).error).toBe('clone_url: Invalid URL (https:// only)');
    expect(errorText(zodFailure(z.object({}).strict(), { extra: 1 })).error).toMatch(/^None: /);
  });
});
