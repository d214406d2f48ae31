import { S3Client } from '@aws-sdk/client-s3';
import { SQSClient } from '@aws-sdk/client-sqs';
import { startFauxqs, type FauxqsServer } from 'fauxqs';
import { RESULTS_S3_CLIENT_CONFIG } from '../../functions/aws/s3-results-store.js';

/**
 * fauxqs serves S3 and SQS in-process for the AWS adapter tests. Its queue URLs name
 * `*.localhost` hosts that do not resolve here, so every client gets an explicit
 * endpoint; S3 goes path-style for the same reason.
 */
export interface Fauxqs {
  server: FauxqsServer;
  s3: S3Client;
  sqs: SQSClient;
  stop(): Promise<void>;
}

const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };

export async function startLocalAws(): Promise<Fauxqs> {
  const server = await startFauxqs({ port: 0, logger: false });
  // The same checksum setting as the production client (compose.ts), so presigned URLs match.
  const s3 = new S3Client({ ...RESULTS_S3_CLIENT_CONFIG, endpoint: server.address, forcePathStyle: true, region: 'us-east-1', credentials });
  const sqs = new SQSClient({ endpoint: server.address, region: 'us-east-1', credentials });
  return {
    server,
    s3,
    sqs,
    stop: async () => {
      s3.destroy();
      sqs.destroy();
      await server.stop();
    },
  };
}
