import { DecryptCommand, GenerateDataKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { KmsKeyStore } from '../../functions/publish/kms-key-store.js';

const kmsMock = mockClient(KMSClient);
const KEY_ID = 'arn:aws:kms:us-east-1:111122223333:key/abcd';
const dataKey = Buffer.alloc(32, 7);
const wrapped = Buffer.from('wrapped-data-key');
const secret = `-----BEGIN PGP PRIVATE KEY BLOCK-----\n${'A'.repeat(7000)}\n-----END PGP PRIVATE KEY BLOCK-----\n`;

describe('Class: KmsKeyStore', () => {
  afterEach(() => kmsMock.reset());

  it('seals with a KMS data key bound to the project and opens it again', async () => {
    kmsMock.on(GenerateDataKeyCommand).resolves({ Plaintext: new Uint8Array(dataKey), CiphertextBlob: wrapped, KeyId: KEY_ID });
    kmsMock.on(DecryptCommand).resolves({ Plaintext: new Uint8Array(dataKey), KeyId: KEY_ID });
    const store = new KmsKeyStore(new KMSClient({ region: 'us-east-1' }), KEY_ID);

    const sealed = await store.seal('@grp', 'proj', secret);
    expect(kmsMock.commandCalls(GenerateDataKeyCommand)[0]!.args[0].input).toEqual({
      KeyId: KEY_ID,
      KeySpec: 'AES_256',
      EncryptionContext: { copr_owner: '@grp', copr_project: 'proj' },
    });
    expect(JSON.stringify(sealed)).not.toContain('PRIVATE KEY');
    expect(sealed.encryptedDataKey).toBe(wrapped.toString('base64'));

    const opened = await store.open('@grp', 'proj', JSON.parse(JSON.stringify(sealed)));
    expect(opened).toBe(secret);
    const input = kmsMock.commandCalls(DecryptCommand)[0]!.args[0].input;
    expect(input.KeyId).toBe(KEY_ID);
    expect(input.EncryptionContext).toEqual({ copr_owner: '@grp', copr_project: 'proj' });
    expect(Buffer.from(input.CiphertextBlob!).equals(wrapped)).toBe(true);
  });

  it('rejects a tampered ciphertext and malformed records', async () => {
    kmsMock.on(GenerateDataKeyCommand).resolves({ Plaintext: new Uint8Array(dataKey), CiphertextBlob: wrapped });
    kmsMock.on(DecryptCommand).resolves({ Plaintext: new Uint8Array(dataKey) });
    const store = new KmsKeyStore(new KMSClient({ region: 'us-east-1' }), KEY_ID);
    const sealed = await store.seal('alice', 'p', secret);
    const bytes = Buffer.from(sealed.ciphertext, 'base64');
    bytes[0] = bytes[0]! ^ 1;
    await expect(store.open('alice', 'p', { ...sealed, ciphertext: bytes.toString('base64') })).rejects.toThrow();
    await expect(store.open('alice', 'p', { v: 2 })).rejects.toThrow();
  });
});
