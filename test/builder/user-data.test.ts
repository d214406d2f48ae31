import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { renderUserData } from '../../builder-ami/agent/user-data.js';

describe('EC2 bootstrap user data', () => {
  it('quotes every value so the script sees it verbatim', () => {
    const values = { apiUrl: 'https://api.example.test', taskId: '5-fedora-41-x86_64', credential: `a'b"$(touch /tmp/x)\`c` };
    const script = renderUserData(values);
    expect(script).not.toContain('@@');
    execFileSync('bash', ['-n', '-c', script]);
    const out = execFileSync('bash', ['-c', script], { env: { ...process.env, COPR_BOOTSTRAP_DRY_RUN: '1' }, encoding: 'utf8' });
    expect(out).toBe(`${values.apiUrl}\n${values.taskId}\n${values.credential}\n`);
  });

  it("hands the deployment's lookaside caches to the agent, verbatim", () => {
    const distgitLookaside = JSON.stringify([{ name: 'mine', lookaside_uri_pattern: "it's/{name}" }]);
    const script = renderUserData({ apiUrl: 'a', taskId: 'b', credential: 'c', distgitLookaside });
    const out = execFileSync('bash', ['-c', script], { env: { ...process.env, COPR_BOOTSTRAP_DRY_RUN: '1' }, encoding: 'utf8' });
    expect(out).toBe(`a\nb\nc\n${distgitLookaside}\n`);
    expect(script).toContain('COPR_DISTGIT_LOOKASIDE="$COPR_DISTGIT_LOOKASIDE" \\\n');
  });

  it('shuts the instance down when it exits', () => {
    expect(renderUserData({ apiUrl: 'a', taskId: 'b', credential: 'c' })).toMatch(/trap '.*shutdown -h now' EXIT/);
  });
});
