// The provider's refresh tokens at rest. The hub keeps no usable credential
// in its store in the clear (session ids and API tokens are hashed; keys live
// in files outside it), but a refresh token must be used again, so it is
// sealed with AES-256-GCM under a key derived from the OIDC client secret —
// which is already outside the store (a file / a Secret), the same on every
// replica, and needed anyway to spend a refresh token at the provider. The
// session's id hash is the additional data: a sealed token copied to another
// session's row does not open. A changed client secret leaves old tokens
// unopenable: those sessions end at their ID token's expiry.
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';

const VERSION = 'v1';

export class RefreshTokenBox {
  private readonly key: Buffer;

  constructor(clientSecret: string) {
    this.key = Buffer.from(hkdfSync('sha256', clientSecret, 'wheelhouse', 'sso refresh tokens at rest', 32));
  }

  seal(token: string, sessionIdHash: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    cipher.setAAD(Buffer.from(sessionIdHash));
    const body = Buffer.concat([cipher.update(token, 'utf8'), cipher.final()]);
    return [VERSION, iv, body, cipher.getAuthTag()]
      .map((p) => (typeof p === 'string' ? p : p.toString('base64url')))
      .join('.');
  }

  /** The token, or null when the text is not one this key sealed for this session. */
  open(sealed: string, sessionIdHash: string): string | null {
    const [version, iv, body, tag] = sealed.split('.');
    if (version !== VERSION || iv === undefined || body === undefined || tag === undefined) return null;
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.key, Buffer.from(iv, 'base64url'));
      decipher.setAAD(Buffer.from(sessionIdHash));
      decipher.setAuthTag(Buffer.from(tag, 'base64url'));
      return Buffer.concat([decipher.update(Buffer.from(body, 'base64url')), decipher.final()]).toString('utf8');
    } catch {
      return null;
    }
  }
}
