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
import { loadConfig, requireConfig } from '../config.js';
import { jsonLogger } from '../adapters/json-logger.js';
import { systemClock } from '../core/ports.js';
import { GpgSigner } from '../publish/gpg-signer.js';
import { KmsKeyStore } from '../publish/kms-key-store.js';
import { spawnRunner } from '../publish/process-runner.js';
import { documentClient } from '../store/dynamo-client.js';
import { DynamoSigningKeys } from '../store/dynamo-signing-keys.js';

async function main(): Promise<void> {
  const config = loadConfig();
  const bucket = requireConfig(config, 'RESULTS_BUCKET');
  const kmsKey = requireConfig(config, 'SIGNING_KMS_KEY_ID');
  const request = requireConfig(config, 'PUBLISH_REQUEST');
  const workDir = await mkdtemp(join(tmpdir(), 'copr-publish-'));
  await runPublisherTask(JSON.parse(request), {
    results: new S3ResultsStore(new S3Client({}), bucket),
    signingKeys: new DynamoSigningKeys(documentClient(config.DYNAMODB_ENDPOINT, config.AWS_REGION), config.TABLE_NAME),
    keys: new KmsKeyStore(new KMSClient({}), kmsKey),
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
    jsonLogger({ component: 'publisher' }).error(`publisher: ${(err as Error).message}`);
    process.exit(1);
  },
);
