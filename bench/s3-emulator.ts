/**
 * fauxqs as a process of its own, for benchmarks whose CPU figures must not include
 * the emulator's (on AWS, S3 is not in the publisher task). Creates the buckets named
 * on the command line, prints `{"address": …}` as one line once it listens, and stops
 * when its stdin closes (the parent went away).
 */
import { startFauxqs } from 'fauxqs';

const server = await startFauxqs({ port: 0, logger: false });
for (const bucket of process.argv.slice(2)) server.createBucket(bucket);
process.stdout.write(`${JSON.stringify({ address: server.address })}\n`);
process.stdin.resume();
process.stdin.on('end', () => void server.stop().then(() => process.exit(0)));
