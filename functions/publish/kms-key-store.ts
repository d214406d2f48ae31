import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { DecryptCommand, GenerateDataKeyCommand, type KMSClient } from '@aws-sdk/client-kms';
import * as z from 'zod';

/**
 * Sealed project secret key, safe to store in S3 or DynamoDB. KMS `Encrypt` takes at
 * most 4096 bytes and an armored RSA-4096 secret key is larger, so this is envelope
 * encryption: a KMS data key (stored only in its KMS-encrypted form) encrypts the key
 * with AES-256-GCM.
 */
export const SealedKey = z.object({
  v: z.literal(1),
  /** Base64 of the KMS-encrypted AES data key. */
  encryptedDataKey: z.string().min(1),
  iv: z.string().min(1),
  tag: z.string().min(1),
  ciphertext: z.string().min(1),
});
export type SealedKey = z.infer<typeof SealedKey>;

/**
 * Encrypts/decrypts a project's exported GnuPG secret key with a KMS key. The
 * encryption context binds each sealed key to its project, so a sealed key copied to
 * another project's record does not decrypt (and CloudTrail shows which project's key
 * was opened). The Fargate publish task decrypts into a temporary GnuPG homedir.
 */
export class KmsKeyStore {
  constructor(
    private readonly kms: KMSClient,
    private readonly kmsKeyId: string,
  ) {}

  static context(owner: string, project: string): Record<string, string> {
    return { copr_owner: owner, copr_project: project };
  }

  async seal(owner: string, project: string, armoredSecretKey: string): Promise<SealedKey> {
    const out = await this.kms.send(
      new GenerateDataKeyCommand({
        KeyId: this.kmsKeyId,
        KeySpec: 'AES_256',
        EncryptionContext: KmsKeyStore.context(owner, project),
      }),
    );
    if (!out.Plaintext || !out.CiphertextBlob) throw new Error('KMS GenerateDataKey returned no key');
    const dataKey = Buffer.from(out.Plaintext);
    try {
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', dataKey, iv);
      const ciphertext = Buffer.concat([cipher.update(armoredSecretKey, 'utf8'), cipher.final()]);
      return {
        v: 1,
        encryptedDataKey: Buffer.from(out.CiphertextBlob).toString('base64'),
        iv: iv.toString('base64'),
        tag: cipher.getAuthTag().toString('base64'),
        ciphertext: ciphertext.toString('base64'),
      };
    } finally {
      dataKey.fill(0);
    }
  }

  async open(owner: string, project: string, sealed: unknown): Promise<string> {
    const s = SealedKey.parse(sealed);
    const out = await this.kms.send(
      new DecryptCommand({
        KeyId: this.kmsKeyId,
        CiphertextBlob: Buffer.from(s.encryptedDataKey, 'base64'),
        EncryptionContext: KmsKeyStore.context(owner, project),
      }),
    );
    if (!out.Plaintext) throw new Error('KMS Decrypt returned no plaintext');
    const dataKey = Buffer.from(out.Plaintext);
    try {
      const decipher = createDecipheriv('aes-256-gcm', dataKey, Buffer.from(s.iv, 'base64'));
      decipher.setAuthTag(Buffer.from(s.tag, 'base64'));
      return Buffer.concat([decipher.update(Buffer.from(s.ciphertext, 'base64')), decipher.final()]).toString('utf8');
    } finally {
      dataKey.fill(0);
    }
  }
}
