/**
 * Entry of the publisher container (Fargate): publishes the pending ledger entries
 * of the repository in $PUBLISH_REPOSITORY under the lease the trigger took for
 * $PUBLISH_LEASE_HOLDER (functions/publish/publish-runs.ts), and exits 0 once none
 * is left. Started by functions/handlers/publish-trigger.ts.
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KMSClient } from '@aws-sdk/client-kms';
import { S3Client } from '@aws-sdk/client-s3';
import { S3ResultsStore } from '../aws/s3-results-store.js';
import { publishFromLedger } from '../aws/publisher-task.js';
import { loadConfig, requireConfig } from '../config.js';
import { jsonLogger } from '../adapters/json-logger.js';
import { systemClock } from '../core/ports.js';
import { DynamoPublishLedger } from '../store/dynamo-publish-ledger.js';
import { GpgSigner } from '../publish/gpg-signer.js';
import { KmsKeyStore } from '../publish/kms-key-store.js';
import { spawnRunner } from '../publish/process-runner.js';
import { documentClient } from '../store/dynamo-client.js';
import { DynamoSigningKeys } from '../store/dynamo-signing-keys.js';

async function main(): Promise<void> {
  const config = loadConfig();
  const bucket = requireConfig(config, 'RESULTS_BUCKET');
  const kmsKey = requireConfig(config, 'SIGNING_KMS_KEY_ID');
  const workDir = await mkdtemp(join(tmpdir(), 'copr-publish-'));
  const db = documentClient(config.DYNAMODB_ENDPOINT, config.AWS_REGION);
  const log = jsonLogger({ component: 'publisher' });
  const signer = new GpgSigner({ keysDir: join(workDir, 'keys') });
  try {
    const report = await publishFromLedger(
      {
        repository: requireConfig(config, 'PUBLISH_REPOSITORY'),
        holder: requireConfig(config, 'PUBLISH_LEASE_HOLDER'),
        ledger: new DynamoPublishLedger(db, config.TABLE_NAME),
        leaseMs: PUBLISHER_LEASE_MS,
        log: (m) => log.info(m),
      },
      {
        results: new S3ResultsStore(new S3Client({}), bucket),
        signingKeys: new DynamoSigningKeys(db, config.TABLE_NAME),
        keys: new KmsKeyStore(new KMSClient({}), kmsKey),
        signer,
        run: spawnRunner,
        clock: systemClock,
        workDir,
        resultsBaseUrl: config.RESULTS_BASE_URL,
      },
    );
    log.info(`publisher: ${report.runs} runs, ${report.entries} ledger entries`);
  } finally {
    await signer.close();
  }
}

/** A run renews its lease every third of this; a task that dies blocks its repository this long. */
const PUBLISHER_LEASE_MS = 3 * 60_000;

main().then(
  () => process.exit(0),
  (err: unknown) => {
    jsonLogger({ component: 'publisher' }).error(`publisher: ${(err as Error).message}`);
    process.exit(1);
  },
);
