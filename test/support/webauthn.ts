/**
 * A software authenticator for `app.inject()` tests: one ES256 (P-256) key pair that makes real
 * WebAuthn assertions (WebAuthn Level 3 §6.1 authenticator data, §6.3.3 the signature over it and
 * the client data's hash), written here independently of the code under test. The browser tests
 * use Chromium's virtual authenticator instead; this one lets a test sign in with a passkey
 * without a browser, on a clock it moves.
 */
import { createHash, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import type { PasskeyRecord } from '../../src/core/store.js';

export interface SoftwareAuthenticator {
  /** base64url credential id, as an assertion names it. */
  credentialId: string;
  /** base64url COSE_Key of the public key (RFC 9053 §7.1.1, EC2 with alg -7), as stored. */
  publicKey: string;
  /** A signed assertion for `challenge` (base64url) at `origin`; the signature counter grows each time. */
  assert(challenge: string, origin: string, userId: number): object;
  /** A registration response for `challenge` at `origin`, with "none" attestation (WebAuthn §8.7). */
  attest(challenge: string, origin: string): object;
}

/** A new authenticator with its own key and a random credential id, for the relying party `rpId`. */
export function softwareAuthenticator(rpId: string): SoftwareAuthenticator {
  const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const credentialId = createHash('sha256')
    .update(publicKey.export({ type: 'spki', format: 'der' }))
    .digest('base64url');
  let counter = 0;
  return {
    credentialId,
    publicKey: coseKey(publicKey).toString('base64url'),
    assert(challenge, origin, userId) {
      counter += 1;
      const clientDataJSON = Buffer.from(JSON.stringify({ type: 'webauthn.get', challenge, origin, crossOrigin: false }));
      // rpIdHash ‖ flags (UP 0x01 | UV 0x04) ‖ signCount, big-endian (WebAuthn §6.1).
      const count = Buffer.alloc(4);
      count.writeUInt32BE(counter);
      const authenticatorData = Buffer.concat([createHash('sha256').update(rpId).digest(), Buffer.from([0x05]), count]);
      const signature = signAssertion(privateKey, authenticatorData, clientDataJSON);
      return {
        id: credentialId,
        rawId: credentialId,
        type: 'public-key',
        response: {
          clientDataJSON: clientDataJSON.toString('base64url'),
          authenticatorData: authenticatorData.toString('base64url'),
          signature: signature.toString('base64url'),
          userHandle: Buffer.from(String(userId)).toString('base64url'),
        },
        clientExtensionResults: {},
      };
    },
    attest(challenge, origin) {
      const clientDataJSON = Buffer.from(JSON.stringify({ type: 'webauthn.create', challenge, origin, crossOrigin: false }));
      const id = Buffer.from(credentialId, 'base64url');
      const length = Buffer.alloc(2);
      length.writeUInt16BE(id.length);
      // rpIdHash ‖ flags (UP | UV | AT 0x40) ‖ signCount 0 ‖ AAGUID (zeros) ‖ id length ‖ id ‖ COSE key (WebAuthn §6.1, §6.5.1).
      const authData = Buffer.concat([
        createHash('sha256').update(rpId).digest(),
        Buffer.from([0x45]),
        Buffer.alloc(4),
        Buffer.alloc(16),
        length,
        id,
        coseKey(publicKey),
      ]);
      // CBOR {"fmt": "none", "attStmt": {}, "authData": bytes}: 0xa3 a map of 3; 0x63/0x64/0x67/0x68
      // text of 3/4/7/8 bytes; 0xa0 the empty map; 0x58 n a byte string of n < 256 bytes.
      const attestationObject = Buffer.concat([
        Buffer.from([0xa3, 0x63]),
        Buffer.from('fmt'),
        Buffer.from([0x64]),
        Buffer.from('none'),
        Buffer.from([0x67]),
        Buffer.from('attStmt'),
        Buffer.from([0xa0]),
        Buffer.from([0x68]),
        Buffer.from('authData'),
        Buffer.from([0x58, authData.length]),
        authData,
      ]);
      return {
        id: credentialId,
        rawId: credentialId,
        type: 'public-key',
        response: {
          clientDataJSON: clientDataJSON.toString('base64url'),
          attestationObject: attestationObject.toString('base64url'),
          transports: ['internal'],
        },
        clientExtensionResults: {},
      };
    },
  };
}

/** The store record that registers `authenticator` for `userId` (what a registration would save). */
export function passkeyRecordOf(authenticator: SoftwareAuthenticator, userId: number): Omit<PasskeyRecord, 'id' | 'lastUsedAt'> {
  return {
    userId,
    credentialId: authenticator.credentialId,
    publicKey: authenticator.publicKey,
    counter: 0,
    transports: ['internal'],
    name: 'Software key',
    createdAt: new Date(),
  };
}

/** ECDSA with SHA-256 over authenticatorData ‖ SHA-256(clientDataJSON), DER-encoded (WebAuthn §6.3.3, §8). */
function signAssertion(privateKey: KeyObject, authenticatorData: Buffer, clientDataJSON: Buffer): Buffer {
  return sign('sha256', Buffer.concat([authenticatorData, createHash('sha256').update(clientDataJSON).digest()]), privateKey);
}

/** The COSE_Key of a P-256 public key in CBOR: {1: 2 (EC2), 3: -7 (ES256), -1: 1 (P-256), -2: x, -3: y}. */
function coseKey(publicKey: KeyObject): Buffer {
  const jwk = publicKey.export({ format: 'jwk' });
  const x = Buffer.from(jwk.x!, 'base64url');
  const y = Buffer.from(jwk.y!, 'base64url');
  // CBOR (RFC 8949): 0xa5 a map of 5 pairs; 0x01/0x03 small positive keys; 0x20/0x21/0x22 the
  // negative keys -1/-2/-3; 0x26 is -7; 0x58 0x20 a 32-byte byte string.
  return Buffer.concat([Buffer.from([0xa5, 0x01, 0x02, 0x03, 0x26, 0x20, 0x01, 0x21, 0x58, 0x20]), x, Buffer.from([0x22, 0x58, 0x20]), y]);
}
