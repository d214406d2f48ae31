/**
 * Entry of the publisher container (Fargate): runs one createrepo for the request
 * in $PUBLISH_REQUEST and exits 0 on success. Started by functions/handlers/publish-trigger.ts.
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KMSClient } from '@aws-sdk/client-kms';
import { S3Client } from '@aws-sdk/client-s3';
import { S3ResultsStore } from '../aws/s3-results-store.js';
import { runPublisherTask } from '../aws/publisher-task.js';
import { loadConfig } from '../config.js';
import { systemClock } from '../core/ports.js';
import { GpgSigner } from '../publish/gpg-signer.js';
import { KmsKeyStore } from '../publish/kms-key-store.js';
import { spawnRunner } from '../publish/process-runner.js';
import { documentClient } from '../store/dynamo-client.js';

async function main(): Promise<void> {
  const config = loadConfig();
  if (!config.RESULTS_BUCKET || !config.SIGNING_KMS_KEY_ID) throw new Error('RESULTS_BUCKET and SIGNING_KMS_KEY_ID are required');
  const workDir = await mkdtemp(join(tmpdir(), 'copr-publish-'));
  await runPublisherTask(JSON.parse(process.env.PUBLISH_REQUEST ?? 'null'), {
    results: new S3ResultsStore(new S3Client({}), config.RESULTS_BUCKET),
    db: documentClient(config.DYNAMODB_ENDPOINT),
    table: config.TABLE_NAME,
    keys: new KmsKeyStore(new KMSClient({}), config.SIGNING_KMS_KEY_ID),
    signer: new GpgSigner({ keysDir: join(workDir, 'keys') }),
    run: spawnRunner,
    clock: systemClock,
    workDir,
    resultsBaseUrl: config.RESULTS_BASE_URL,
  });
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(`publisher: ${(err as Error).message}`);
    process.exit(1);
  },
);
