/**
 * Fuzzing the certificate readers with mutated fixture certificates: the PEM scanner, the loader (PEM, DER and
 * PKCS#7), the bounded DER reader and the full parse. Each may only accept the input or throw the exception it
 * documents (InputError, DerError, CertParseError), and each input must finish under a per-input bound.
 * See fuzz-kit.ts for the replay variables.
 */
import { describe, expect, it } from 'vitest';
import { DerError, DerReader, TAG, decodeOid, decodeSmallInteger, type Tlv } from '../../src/certs/der.js';
import { InputError } from '../../src/certs/input-error.js';
import { readCertificateBlobs, readCertificateBlobsAsync, type CertificateBlobs } from '../../src/certs/load.js';
import { CertParseError, parseCertificate, type ParseOptions } from '../../src/certs/parse.js';
import { decodePemBody, readPemBlocks } from '../../src/certs/pem.js';
import {
  DER_MUTATORS,
  BYTE_MUTATORS,
  deleteChars,
  failureReport,
  fuzz,
  garbleChar,
  insertPiece,
  mutateBytes,
  mutateText,
  previewBytes,
  previewText,
  shuffleLines,
  truncateText,
  type FuzzResult,
  type Rng,
  type TextMutator,
} from './fuzz-kit.js';
import { FAKE_KEY_BLOCK, certDers, certPemFiles, pemArmor, pkcs7Of } from './seeds.js';

const PEM_FILES = certPemFiles();
const SMALL_PEMS = PEM_FILES.filter((t) => t.length < 20_000);
const DERS = certDers();
const PKCS7S = [pkcs7Of(DERS.slice(0, 1)), pkcs7Of(DERS.slice(1, 3)), pkcs7Of([])];
const LABELS = ['CERTIFICATE', 'X509 CERTIFICATE', 'TRUSTED CERTIFICATE', 'PKCS7', 'PKCS #7 SIGNED DATA', 'CMS', 'CERTIFICATE REQUEST', 'X509 CRL', 'RSA PRIVATE KEY', '', ' ', 'CERTIFICATE-----'];

/** Armor-level damage: what hand-edited and concatenated bundles look like. */
const ARMOR_MUTATORS: TextMutator[] = [
  insertPiece(['-----BEGIN CERTIFICATE-----\n', '-----END CERTIFICATE-----\n', '-----BEGIN PKCS7-----\n', '-----END X509 CRL-----\n', FAKE_KEY_BLOCK], true),
  insertPiece(['-----BEGIN ', '-----', '-----END ', '\r', '\r\n', '\ufeff', '\u00ef\u00bb\u00bf', 'Proc-Type: 4,ENCRYPTED\n', '=', '==', '-_', ' \t', '#', '\n\n']),
  (rng, t) => t.replace(/-----(BEGIN|END) ([^-]*)-----/, (_m, which: string) => `-----${which} ${rng.pick(LABELS)}-----`),
  (rng, t) => (rng.chance(0.5) ? t.replace(/\n-----END[^\n]*\n?$/, '\n') : t.replace(/=+\n/, '\n')),
  (_rng, t) => t.replace(/\n/g, '\r\n'),
  (rng, t) => t + rng.pick(SMALL_PEMS),
  deleteChars,
  truncateText,
  shuffleLines,
  garbleChar,
];

const enc = (s: string) => new Uint8Array(Buffer.from(s, 'latin1'));

/** A mutated certificate file: PEM text, PEM of mutated DER, raw DER, PKCS#7 (DER or PEM), or bytes of any. */
function certificateFile(rng: Rng, pkcs7: boolean): Uint8Array {
  const choice = rng.int(pkcs7 ? 6 : 4);
  switch (choice) {
    case 0:
      return enc(mutateText(rng, rng.pick(rng.chance(0.03) ? PEM_FILES : SMALL_PEMS), SMALL_PEMS, ARMOR_MUTATORS));
    case 1: {
      const der = mutateBytes(rng, rng.pick(DERS), DERS, DER_MUTATORS);
      const pem = pemArmor(der, rng.chance(0.8) ? 'CERTIFICATE' : rng.pick(LABELS));
      return enc(rng.chance(0.3) ? rng.pick(SMALL_PEMS) + pem : pem);
    }
    case 2:
      return mutateBytes(rng, rng.pick(DERS), DERS, DER_MUTATORS);
    case 3:
      return mutateBytes(rng, enc(rng.pick(SMALL_PEMS)), [], BYTE_MUTATORS);
    case 4:
      return mutateBytes(rng, rng.pick(PKCS7S), DERS, DER_MUTATORS);
    default: {
      const der = mutateBytes(rng, rng.pick(PKCS7S), DERS, DER_MUTATORS);
      return enc(pemArmor(der, rng.pick(['PKCS7', 'PKCS #7 SIGNED DATA', 'CMS'])));
    }
  }
}

/** What every successful load promises (load.ts): at least one blob, each a SEQUENCE in its own buffer. */
function checkBlobs(r: CertificateBlobs): void {
  if (r.ders.length === 0) throw new Error('invariant: accepted with no certificate');
  for (const d of r.ders) {
    if (d[0] !== 0x30 || d.byteOffset !== 0 || d.buffer.byteLength !== d.length) throw new Error('invariant: blob is not an exact DER SEQUENCE');
  }
  for (const w of r.warnings) if (/[\r\n]/.test(w)) throw new Error('invariant: multi-line warning');
}

/** InputError is the loader's only exception, and its message is one line (input-error.ts). */
const isInputError = (e: unknown) => e instanceof InputError && !/[\r\n]/.test(e.message);

function expectClean(r: FuzzResult): void {
  console.log(r.summary);
  expect(r.crashes.length + r.hangs.length, failureReport(r)).toBe(0);
  expect(r.inputs).toBeGreaterThan(0);
}

describe('fuzz: certificate input', () => {
  it('PEM scanner (readPemBlocks + decodePemBody): InputError only', async () => {
    const r = await fuzz({
      name: 'pem scanner',
      iterations: 4000,
      perInputMs: 500,
      generate: (rng) => mutateText(rng, rng.pick(rng.chance(0.03) ? PEM_FILES : SMALL_PEMS), SMALL_PEMS, ARMOR_MUTATORS, 6),
      run: (text) => {
        for (const block of readPemBlocks(text, 'fuzz.pem')) if (block.body !== undefined) decodePemBody(block, 'fuzz.pem');
      },
      expected: isInputError,
      preview: (t) => previewText(t),
    });
    expectClean(r);
    expect(r.accepted).toBeGreaterThan(0); // the mutations leave some files readable
    expect(r.typedErrors).toBeGreaterThan(0);
  });

  it('loader, synchronous (readCertificateBlobs): InputError only', async () => {
    const r = await fuzz({
      name: 'certificate loader (sync)',
      iterations: 4000,
      perInputMs: 500,
      generate: (rng) => certificateFile(rng, false),
      run: (bytes) => checkBlobs(readCertificateBlobs(bytes, 'fuzz.pem')),
      expected: isInputError,
      preview: (b) => previewBytes(b),
    });
    expectClean(r);
    expect(r.accepted).toBeGreaterThan(0);
    expect(r.typedErrors).toBeGreaterThan(0);
  });

  it('loader, asynchronous with PKCS#7 (readCertificateBlobsAsync): InputError only', async () => {
    const r = await fuzz({
      name: 'certificate loader (async, PKCS#7)',
      iterations: 2000,
      perInputMs: 500,
      generate: (rng) => certificateFile(rng, true),
      run: async (bytes) => checkBlobs(await readCertificateBlobsAsync(bytes, 'fuzz.p7b')),
      expected: isInputError,
      preview: (b) => previewBytes(b),
    });
    expectClean(r);
    expect(r.accepted).toBeGreaterThan(0);
  });

  it('DER reader (DerReader, decodeOid, decodeSmallInteger): DerError only', async () => {
    const r = await fuzz({
      name: 'der reader',
      iterations: 5000,
      perInputMs: 500,
      generate: (rng) => mutateBytes(rng, rng.chance(0.1) ? rng.pick(PKCS7S) : rng.pick(DERS), DERS, DER_MUTATORS, 6),
      run: (der) => walkDer(new DerReader(der)),
      expected: (e) => e instanceof DerError,
      preview: (b) => previewBytes(b),
    });
    expectClean(r);
    expect(r.accepted).toBeGreaterThan(0);
    expect(r.typedErrors).toBeGreaterThan(0);
  });

  it('full parse (parseCertificate, OpenSSL parse eager, deferred and lazy): CertParseError only', async () => {
    const modes: ParseOptions[] = [{}, { deferOpenSsl: true }, { lazy: true }];
    const r = await fuzz({
      name: 'parseCertificate',
      iterations: 3000,
      perInputMs: 500,
      generate: (rng) => ({ der: mutateBytes(rng, rng.pick(DERS), DERS, DER_MUTATORS, 3), options: rng.pick(modes) }),
      run: ({ der, options }) => readEveryField(der, options),
      expected: (e) => e instanceof CertParseError,
      preview: ({ der, options }) => `${JSON.stringify(options)} ${previewBytes(der)}`,
    });
    expectClean(r);
    expect(r.accepted).toBeGreaterThan(0);
    expect(r.typedErrors).toBeGreaterThan(0);
  });
});

/** Reads every element the way the certificate code does: children of constructed ones, OIDs, small INTEGERs. */
function walkDer(reader: DerReader): void {
  const visit = (t: Tlv): void => {
    if (t.constructed) {
      for (const kid of reader.children(t)) visit(kid);
    } else if (t.tag === TAG.OID) {
      decodeOid(reader.content(t));
    } else if (t.tag === TAG.INTEGER) {
      decodeSmallInteger(reader.content(t));
    }
  };
  visit(reader.root());
}

/**
 * Parses and reads every field, lazy ones included (subject/issuer text, key, self-signature): a getter
 * that throws anything but CertParseError is a crash too. `native` may throw CertParseError when a
 * deferred OpenSSL parse refuses the bytes, as documented in parse.ts.
 */
function readEveryField(der: Uint8Array, options: ParseOptions): void {
  const cert = parseCertificate(der, options);
  const seen = [cert.serial, cert.subject, cert.issuer, cert.commonNames, cert.publicKey, cert.selfSigned, cert.signature, cert.extensions];
  if (seen.some((v) => v === undefined)) throw new Error('invariant: a required field is undefined');
  if (!(cert.notBefore instanceof Date) || !(cert.notAfter instanceof Date)) throw new Error('invariant: validity is not a Date');
  try {
    void cert.native;
  } catch (e) {
    if (!(e instanceof CertParseError)) throw e;
  }
}
