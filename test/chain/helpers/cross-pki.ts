/**
 * A cross-signed internal PKI in the middle of a root rotation, generated at test start (make-pki.ts), validity
 * relative to the clock given (a fixed one for engine tests, the real one where real nginx judges):
 *
 *   Old Root R1 (valid; and an expired copy, same key)      New Root R2 (valid)
 *        │  └── cross: "New Root R2" issued by R1                │  └── cross: "Old Root R1" issued by R2
 *        └── Issuing CA (old-signed copy)                        └── Issuing CA (new-signed copy, same key)
 *                         └──────────── leaf svc.cross.test ─────────┘
 *
 * The leaf's AIA caIssuers may point at either copy of the issuing CA (`aiaUrl`).
 */
import { webcrypto } from 'node:crypto';
import type { Cert } from '../../../src/certs/cert.js';
import { EKU_SERVER, issue, makeKey, x509, type Issued } from './make-pki.js';

const DAY = 86_400_000;
export const CROSS_HOST = 'svc.cross.test';

export interface CrossPki {
  oldRoot: Issued;
  oldRootExpired: Issued;
  newRoot: Issued;
  /** Issuing CA signed by the old root / by the new root (same subject, same key). */
  interOld: Issued;
  interNew: Issued;
  /** Cross certificates: the new root's key certified by the old root, the old root's key by the new root. */
  newByOld: Issued;
  oldByNew: Issued;
  leaf: Issued;
  leafKeyPem: string;
}

function aia(url: string): x509.Extension {
  return new x509.AuthorityInfoAccessExtension({ caIssuers: [new x509.GeneralName('url', url)] });
}

/** One PKI per call (fresh keys); `now` is the clock every validity is relative to. */
export async function makeCrossPki(now: Date, opts: { aiaUrl?: string; tag?: string } = {}): Promise<CrossPki> {
  const t = opts.tag ?? String(now.getTime());
  const at = (days: number): Date => new Date(now.getTime() + days * DAY);
  const oldKeys = await makeKey('p256', `cross-old-${t}`);
  const newKeys = await makeKey('p256', `cross-new-${t}`);
  const interKeys = await makeKey('p256', `cross-inter-${t}`);
  const oldSubject = 'CN=Old Root R1,O=tlsdoctor cross';
  const newSubject = 'CN=New Root R2,O=tlsdoctor cross';
  const interSubject = 'CN=Issuing CA,O=tlsdoctor cross';
  const oldRoot = await issue({ subject: oldSubject, ca: true, keys: oldKeys, notBefore: at(-3 * 365), notAfter: at(2 * 365) });
  const oldRootExpired = await issue({ subject: oldSubject, ca: true, keys: oldKeys, notBefore: at(-3 * 365), notAfter: at(-1) });
  const newRoot = await issue({ subject: newSubject, ca: true, keys: newKeys, notBefore: at(-365), notAfter: at(10 * 365) });
  const byOld = { cert: oldRoot.x, keys: oldKeys };
  const byNew = { cert: newRoot.x, keys: newKeys };
  const interOld = await issue({ subject: interSubject, ca: true, keys: interKeys, issuer: byOld, notBefore: at(-300), notAfter: at(700) });
  const interNew = await issue({ subject: interSubject, ca: true, keys: interKeys, issuer: byNew, notBefore: at(-200), notAfter: at(900) });
  const newByOld = await issue({ subject: newSubject, ca: true, keys: newKeys, issuer: byOld, notBefore: at(-365), notAfter: at(700) });
  const oldByNew = await issue({ subject: oldSubject, ca: true, keys: oldKeys, issuer: byNew, notBefore: at(-365), notAfter: at(700) });
  const leafKeys = (await webcrypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign', 'verify'])) as CryptoKeyPair;
  const leaf = await issue({
    subject: `CN=${CROSS_HOST}`,
    dns: [CROSS_HOST],
    eku: [EKU_SERVER],
    keyUsage: x509.KeyUsageFlags.digitalSignature,
    keys: leafKeys,
    issuer: { cert: interNew.x, keys: interKeys },
    notBefore: at(-10),
    notAfter: at(80),
    ...(opts.aiaUrl ? { extraExtensions: [aia(opts.aiaUrl)] } : {}),
  });
  const pkcs8 = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', leafKeys.privateKey));
  const leafKeyPem = `-----BEGIN PRIVATE KEY-----\n${pkcs8.toString('base64').match(/.{1,64}/g)!.join('\n')}\n-----END PRIVATE KEY-----\n`;
  return { oldRoot, oldRootExpired, newRoot, interOld, interNew, newByOld, oldByNew, leaf, leafKeyPem };
}

export type CrossName = Exclude<keyof CrossPki, 'leafKeyPem'>;

export const certsOf = (pki: CrossPki, names: CrossName[]): Cert[] => names.map((n) => pki[n].cert);
export const pemsOf = (pki: CrossPki, names: CrossName[]): string => names.map((n) => pki[n].pem).join('');
