import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LogFields, Logger } from '../../functions/core/ports.js';
import { startTestService, type TestService } from '../support/service.js';

/**
 * An unexpected error in a handler: the client gets Copr's generic 500, and the
 * composed logger port gets one line with the route and the build it addressed,
 * never request data (a query string may carry credentials).
 */
const lines: Array<{ level: 'info' | 'error'; msg: string; fields: LogFields }> = [];
const recording: Logger = {
  info: (msg, fields = {}) => void lines.push({ level: 'info', msg, fields }),
  error: (msg, fields = {}) => void lines.push({ level: 'error', msg, fields }),
};
let t: TestService;

beforeAll(async () => {
  t = await startTestService({
    plugins: [
      {
        name: 'failing-route',
        ports: () => ({ log: recording }),
        routes: () => [
          {
            method: 'GET',
            path: '/test/build/{id}/boom',
            handler: async () => {
              throw new Error('the store went away');
            },
          },
        ],
      },
    ],
  });
});
afterAll(() => t.stop());

describe('error logging', () => {
  it('logs an unhandled error through the logger port with the route and build id, and answers a generic 500', async () => {
    const res = await fetch(`${t.service.url}/test/build/42/boom?token=not-for-logs`);
    expect(res.status).toBe(500);
    expect(await res.json()).toEqual({ output: 'notok', error: 'Internal server error' });
    const errors = lines.filter((l) => l.level === 'error');
    expect(errors).toEqual([
      { level: 'error', msg: expect.stringMatching(/^unhandled error: Error: the store went away/), fields: { method: 'GET', route: '/test/build/{id}/boom', build_id: 42 } },
    ]);
    expect(JSON.stringify(lines)).not.toContain('not-for-logs');
  });
});
