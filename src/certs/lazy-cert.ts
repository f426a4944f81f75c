/**
 * A certificate of a trust bundle whose parse waits until something reads it.
 *
 * Of the ~150 roots of a system CA bundle, verifying one chain reads the few whose subject is the issuer name
 * looked up (X509_STORE_CTX_get1_issuer, src/chain/trust-store.ts); the others are only counted, hashed and
 * indexed by subject. So at load a bundle certificate gets the one-pass d2i check of plain-der.ts (a bundle
 * nginx would refuse is still refused when read) and nothing else; the canonical form of its subject is computed
 * when a store indexes it (name.ts simpleNameCanon); the rest (readX509Facts, the Cert fields, later OpenSSL's own parse) on the first read of any other
 * field. `der` is plain data and `sha256` is computed alone (node:crypto, no parse).
 *
 * The fields are getters of a shared prototype, so an unread certificate costs one small object; the first read
 * copies the parsed Cert's own properties onto the object (data and its lazy getters alike), after which it is
 * indistinguishable from one parsed at once, spreads and JSON included.
 */
import { hash } from 'node:crypto';
import type { Cert } from './cert.js';
import { DerReader } from './der.js';
import { decodeName, simpleNameCanon } from './name.js';
import type { PlainLayout } from './plain-der.js';
import { COMPLETE_PARSE, SUBJECT_CANON, type SubjectCanon } from './x509-facts.js';

/** Every Cert field but `der` (cert.ts); the compiler checks the names. */
const FIELDS: readonly Exclude<keyof Cert, 'der' | 'sha256'>[] = [
  'version',
  'serial',
  'subject',
  'issuer',
  'subjectDer',
  'issuerDer',
  'commonNames',
  'notBefore',
  'notAfter',
  'publicKey',
  'signature',
  'basicConstraints',
  'keyUsage',
  'extKeyUsage',
  'subjectKeyId',
  'authorityKeyId',
  'subjectAltNames',
  'nameConstraints',
  'aia',
  'crlDistributionPoints',
  'extensions',
  'selfIssued',
  'selfSigned',
  'malformed',
  'native',
];

/** How many lazy certificates were parsed in full: lets tests check that unused roots never are. */
let completed = 0;
export function lazyParsesCompleted(): number {
  return completed;
}

class LazyCert {
  readonly der: Uint8Array;
  #layout: PlainLayout;
  #complete: (self: object) => Cert;
  #full: Cert | undefined;
  #subject: SubjectCanon | undefined;
  #sha256: string | undefined;

  constructor(der: Uint8Array, layout: PlainLayout, complete: (self: object) => Cert) {
    this.der = der;
    this.#layout = layout;
    this.#complete = complete;
  }

  get sha256(): string {
    return (this.#sha256 ??= hash('sha256', this.der, 'hex')); // one-shot: no Hash object per certificate
  }

  [COMPLETE_PARSE](): Cert {
    if (this.#full === undefined) {
      completed++;
      this.#full = this.#complete(this);
      Object.defineProperties(this, Object.getOwnPropertyDescriptors(this.#full));
    }
    return this.#full;
  }

  [SUBJECT_CANON](): SubjectCanon {
    if (this.#subject === undefined) {
      const canon = simpleNameCanon(this.der, this.#layout.subjectStart);
      if (canon !== undefined) {
        this.#subject = { canon, canonOk: true };
      } else {
        const r = new DerReader(this.der);
        this.#subject = decodeName(r, r.read(this.#layout.subjectStart, this.#layout.subjectEnd, 2));
      }
    }
    return this.#subject;
  }
}

for (const field of FIELDS) {
  Object.defineProperty(LazyCert.prototype, field, {
    get(this: LazyCert) {
      return this[COMPLETE_PARSE]()[field];
    },
    configurable: true,
  });
}

/**
 * A Cert for `der` whose fields are computed by `complete` on first read. `layout` is plainCertificateLayout()'s
 * verdict that d2i_X509 reads `der`; `complete` gets the new object (to register its facts, x509-facts.ts).
 */
export function lazyCertificate(der: Uint8Array, layout: PlainLayout, complete: (self: object) => Cert): Cert {
  return new LazyCert(der, layout, complete) as unknown as Cert;
}
