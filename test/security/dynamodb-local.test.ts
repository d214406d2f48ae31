import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startDynamoDbLocal, type DynamoDbLocal } from '../../functions/local/dynamodb-local.js';

/**
 * After a crash the old DynamoDB Local kept running on the data dir and a restart
 * added a second JVM on the same files. Now the orphan is stopped first, and a
 * DynamoDB Local whose owner still runs is never doubled.
 */
const dataDir = mkdtempSync(join(tmpdir(), 'copr-ddb-orphan-'));
const dbPath = resolve(dataDir, 'dynamodb');
const started: DynamoDbLocal[] = [];

function jvmsOn(path: string): number[] {
  return readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .filter((pid) => {
      try {
        const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
        return argv.some((a) => a.includes('DynamoDBLocal.jar')) && argv.includes(path);
      } catch {
        return false;
      }
    })
    .map(Number);
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

afterAll(async () => {
  for (const d of started) await d.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('DynamoDB Local on a data dir', () => {
  it('stops the orphan of a crashed owner before starting, and never runs two on the same files', async () => {
    const first = await startDynamoDbLocal({ dataDir: dbPath });
    started.push(first);
    expect(jvmsOn(dbPath)).toEqual([first.pid]);
    // The owner "crashed": its pid is gone, its JVM still runs.
    const dead = spawnSync('true').pid;
    writeFileSync(join(dbPath, 'copr-owner.json'), JSON.stringify({ owner: dead, jvm: first.pid }));

    const second = await startDynamoDbLocal({ dataDir: dbPath });
    started.push(second);
    expect(alive(first.pid!)).toBe(false);
    expect(jvmsOn(dbPath)).toEqual([second.pid]);
    expect((await fetch(second.endpoint, { method: 'POST' })).status).toBeLessThan(500);

    // An owner that is alive keeps its DynamoDB Local: a second start is refused.
    const owner = spawn('sleep', ['60']);
    try {
      writeFileSync(join(dbPath, 'copr-owner.json'), JSON.stringify({ owner: owner.pid, jvm: second.pid }));
      await expect(startDynamoDbLocal({ dataDir: dbPath })).rejects.toThrow(/in use by process/);
      expect(jvmsOn(dbPath)).toEqual([second.pid]);
    } finally {
      owner.kill('SIGKILL');
    }
  }, 120_000);
});
