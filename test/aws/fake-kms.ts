import { randomBytes } from 'node:crypto';
import { DecryptCommand, GenerateDataKeyCommand, KMSClient, type DecryptCommandInput, type GenerateDataKeyCommandInput } from '@aws-sdk/client-kms';
import { mockClient } from 'aws-sdk-client-mock';

/**
 * KMS cannot run here. This mock behaves like it for envelope encryption:
 * GenerateDataKey returns a fresh random 32-byte key and an opaque ciphertext blob;
 * Decrypt gives the key back only for that blob, the same key id and the same
 * encryption context, and fails like KMS otherwise.
 */
export interface FakeKms {
  mock: ReturnType<typeof mockClient>;
  client: KMSClient;
  /** Encryption contexts of every GenerateDataKey / Decrypt call, in order. */
  generated: Array<Record<string, string> | undefined>;
  decrypted: Array<Record<string, string> | undefined>;
  /** Called inside GenerateDataKey before it answers (tests hold it to force races). */
  beforeGenerate: () => Promise<void>;
}

function kmsError(name: string, message: string): Error {
  const err = new Error(message);
  err.name = name;
  return err;
}

export function fakeKms(keyId: string): FakeKms {
  const mock = mockClient(KMSClient);
  const issued = new Map<string, { plaintext: Buffer; context: string }>();
  const kms: FakeKms = {
    mock,
    client: new KMSClient({ region: 'us-east-1' }),
    generated: [],
    decrypted: [],
    beforeGenerate: async () => {},
  };
  mock.on(GenerateDataKeyCommand).callsFake(async (input: GenerateDataKeyCommandInput) => {
    kms.generated.push(input.EncryptionContext);
    if (input.KeyId !== keyId) throw kmsError('NotFoundException', `key ${input.KeyId} not found`);
    if (input.KeySpec !== 'AES_256') throw kmsError('ValidationException', 'KeySpec');
    await kms.beforeGenerate();
    const plaintext = randomBytes(32);
    const blob = randomBytes(24);
    issued.set(blob.toString('hex'), { plaintext, context: JSON.stringify(input.EncryptionContext ?? {}) });
    return { KeyId: keyId, Plaintext: new Uint8Array(plaintext), CiphertextBlob: new Uint8Array(blob) };
  });
  mock.on(DecryptCommand).callsFake((input: DecryptCommandInput) => {
    kms.decrypted.push(input.EncryptionContext);
    const found = issued.get(Buffer.from(input.CiphertextBlob ?? new Uint8Array()).toString('hex'));
    if (!found || input.KeyId !== keyId || found.context !== JSON.stringify(input.EncryptionContext ?? {})) {
      throw kmsError('InvalidCiphertextException', 'invalid ciphertext');
    }
    return { KeyId: keyId, Plaintext: new Uint8Array(found.plaintext) };
  });
  return kms;
}
