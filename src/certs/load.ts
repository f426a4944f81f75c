/**
 * Bytes of a certificate file (or of a fetched AIA body) → DER certificate blobs, for hostile input.
 *
 * Accepted: PEM with any number of blocks (`CERTIFICATE`, `X509 CERTIFICATE`, `TRUSTED CERTIFICATE`, `PKCS7`,
 * `PKCS #7 SIGNED DATA`, `CMS`), text between blocks ignored; a single DER certificate; DER or PEM PKCS#7
 * SignedData (`.p7b`/`.p7c`, RFC 5652 §5.1, certs-only or not). Private keys (PEM blocks whose label ends in
 * `PRIVATE KEY`, DER PKCS#1/PKCS#8/SEC1 keys) are counted and never decoded further, returned or echoed.
 *
 * This is only the split and a structural check of each blob as an X.509 `Certificate` SEQUENCE (RFC 5280
 * §4.1: tbsCertificate, signatureAlgorithm, signatureValue, and the tbsCertificate fields up to
 * subjectPublicKeyInfo). Decoding the fields, and OpenSSL's own parse (`node:crypto` X509Certificate), happen
 * in `parseCertificate` (src/certs/parse.ts): doing OpenSSL's parse here as well would double the cost of a
 * large bundle (measured ~0.12 ms per certificate, 0.6 s for 5,000).
 *
 * Bounds: a byte cap and a certificate-count cap (`LoadLimits`); every loop is linear in the input; the DER
 * walk never descends into extensions, so a 1 MB extension costs one length read. PKCS#7 goes through pkijs
 * (loaded lazily: it must stay off the probe's start-up path), hence the async entry point.
 */
import { DerReader } from './der.js';
import { InputError } from './input-error.js';
import { decodePemBody, describeBlock, readPemBlocks, type PemBlock } from './pem.js';
import { plainCertificateLayout } from './plain-der.js';

export interface LoadLimits {
  /** Largest input accepted, in bytes. Default 16 MiB (a full public root store is ~0.25 MiB). */
  maxBytes?: number;
  /** Most certificates accepted from one input. Default 10,000. */
  maxCertificates?: number;
}

export const DEFAULT_MAX_INPUT_BYTES = 16 * 1024 * 1024;
export const DEFAULT_MAX_CERTIFICATES = 10_000;

export interface CertificateBlobs {
  /** DER certificates in file order; each owns its ArrayBuffer (offset 0, exact length). */
  ders: Uint8Array[];
  /** Private keys met and ignored. The caller says so; nothing of the key is kept. */
  privateKeys: number;
  /** One-line notes about things skipped or dropped (other PEM blocks, TRUSTED CERTIFICATE trust settings). */
  warnings: string[];
}

/**
 * PEM and DER only. PKCS#7 input throws `INPUT_PKCS7_NEEDS_ASYNC`: use `readCertificateBlobsAsync`, which
 * handles everything (the CLI and the AIA fetcher use that one).
 */
export function readCertificateBlobs(bytes: Uint8Array, name: string, limits: LoadLimits = {}): CertificateBlobs {
  const scan = scanInput(bytes, name, limits);
  const pkcs7 = scan.pieces.find((p) => p.kind === 'pkcs7');
  if (pkcs7 !== undefined) {
    throw new InputError('INPUT_PKCS7_NEEDS_ASYNC', name, `${pkcs7.where} is PKCS#7: it needs the asynchronous reader`);
  }
  return finish(scan, name, limits, () => []);
}

/** PEM, DER and PKCS#7 (pkijs and asn1js are imported on first PKCS#7 input only). */
export async function readCertificateBlobsAsync(
  bytes: Uint8Array,
  name: string,
  limits: LoadLimits = {},
): Promise<CertificateBlobs> {
  const scan = scanInput(bytes, name, limits);
  const expanded = new Map<Piece, Uint8Array[]>();
  for (const piece of scan.pieces) {
    if (piece.kind === 'pkcs7') expanded.set(piece, await certificatesFromPkcs7(piece.der, piece.where, name, scan.warnings));
  }
  return finish(scan, name, limits, (p) => expanded.get(p) ?? []);
}

// ---------------------------------------------------------------------------------------------------------------

type Piece = { kind: 'cert'; der: Uint8Array } | { kind: 'pkcs7'; der: Uint8Array; where: string };

interface Scan {
  pieces: Piece[];
  privateKeys: number;
  warnings: string[];
}

function finish(scan: Scan, name: string, limits: LoadLimits, pkcs7Certs: (p: Piece) => Uint8Array[]): CertificateBlobs {
  const max = limits.maxCertificates ?? DEFAULT_MAX_CERTIFICATES;
  const ders: Uint8Array[] = [];
  for (const piece of scan.pieces) {
    for (const der of piece.kind === 'cert' ? [piece.der] : pkcs7Certs(piece)) {
      ders.push(der);
      if (ders.length > max) {
        throw new InputError('INPUT_TOO_MANY_CERTIFICATES', name, `more than ${max} certificates`);
      }
    }
  }
  if (ders.length === 0) {
    if (scan.privateKeys > 0) {
      throw new InputError('INPUT_ONLY_PRIVATE_KEY', name, 'contains a private key and no certificate (the key was ignored and is never printed)');
    }
    const pkcs7 = scan.pieces.some((p) => p.kind === 'pkcs7');
    throw new InputError('INPUT_NOT_CERTIFICATE', name, pkcs7 ? 'contains no certificate (its PKCS#7 SignedData holds none)' : 'contains no certificate');
  }
  return { ders, privateKeys: scan.privateKeys, warnings: scan.warnings };
}

/** Format detection, size checks, PEM splitting and DER checks: everything but PKCS#7 decoding. */
function scanInput(bytes: Uint8Array, name: string, limits: LoadLimits): Scan {
  const maxBytes = limits.maxBytes ?? DEFAULT_MAX_INPUT_BYTES;
  const maxCerts = limits.maxCertificates ?? DEFAULT_MAX_CERTIFICATES;
  if (bytes.length === 0) throw new InputError('INPUT_EMPTY', name, 'is empty');
  if (bytes.length > maxBytes) {
    throw new InputError('INPUT_TOO_LARGE', name, `is ${bytes.length} bytes, more than the ${maxBytes}-byte limit`);
  }

  // DER: one SEQUENCE spanning the whole input. A text file cannot pass this by accident unless its first
  // character is '0' (0x30) and its second byte happens to give exactly the file's length.
  let derProblem: string | undefined;
  if (bytes[0] === 0x30) {
    const outer = readTlv(bytes, 0, bytes.length);
    if (typeof outer !== 'string' && outer.end === bytes.length) return scanDer(bytes, outer, name);
    if (typeof outer === 'string' && berCertificateEnd(bytes) === bytes.length) {
      return { pieces: [{ kind: 'cert', der: copy(bytes, 0, bytes.length) }], privateKeys: 0, warnings: [] };
    }
    if (outer === INDEFINITE && startsWithPkcs7Oid(bytes, 2)) {
      // BER with indefinite lengths, as some Windows .p7b exports are: asn1js reads BER.
      return { pieces: [{ kind: 'pkcs7', der: copy(bytes, 0, bytes.length), where: 'the DER PKCS#7 file' }], privateKeys: 0, warnings: [] };
    }
    derProblem = typeof outer === 'string' ? outer : `${bytes.length - outer.end} bytes of trailing data after the DER structure`;
  }

  const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
  if (/^[\s\u00ef\u00bb\u00bf]*$/.test(text)) throw new InputError('INPUT_EMPTY', name, 'contains only whitespace');
  const blocks = readPemBlocks(text, name);
  if (blocks.length === 0) {
    if (derProblem !== undefined) throw new InputError('INPUT_MALFORMED_DER', name, `is not valid DER: ${derProblem}`);
    throw new InputError('INPUT_NOT_CERTIFICATE', name, 'is neither PEM (no -----BEGIN line) nor DER');
  }
  return scanPem(blocks, name, maxCerts);
}

const CERT_LABELS = new Set(['CERTIFICATE', 'X509 CERTIFICATE']); // PEM_STRING_X509, PEM_STRING_X509_OLD
const TRUSTED_LABEL = 'TRUSTED CERTIFICATE'; // PEM_STRING_X509_TRUSTED
const PKCS7_LABELS = new Set(['PKCS7', 'PKCS #7 SIGNED DATA', 'CMS']); // PEM_STRING_PKCS7, _PKCS7_SIGNED, _CMS

function scanPem(blocks: PemBlock[], name: string, maxCerts: number): Scan {
  const scan: Scan = { pieces: [], privateKeys: 0, warnings: [] };
  const ignored = new Map<string, number[]>();
  let certs = 0;
  for (const block of blocks) {
    if (block.body === undefined) {
      scan.privateKeys++; // isPrivateKeyLabel: pem.ts kept no content
      continue;
    }
    const where = describeBlock(block);
    if (CERT_LABELS.has(block.label) || block.label === TRUSTED_LABEL) {
      if (++certs > maxCerts) throw new InputError('INPUT_TOO_MANY_CERTIFICATES', name, `more than ${maxCerts} certificates`);
      const der = decodePemBody(block, name);
      // A plain certificate (plain-der.ts: the shape below and more) needs no other look; parseCertificate() reuses
      // the verdict. Otherwise the DER shape check, and the BER look below for those that fail it.
      if (plainCertificateLayout(der) !== undefined) {
        scan.pieces.push({ kind: 'cert', der });
        continue;
      }
      const cert = readTlv(der, 0, der.length);
      const problem = typeof cert === 'string' ? cert : certificateProblem(der, cert);
      if (typeof cert === 'string' || problem !== undefined) {
        const ber = berCertificateEnd(der);
        if (ber !== undefined) {
          // BER (indefinite lengths, constructed strings) that d2i_X509 reads: parseCertificate() judges the rest.
          if (ber !== der.length) {
            throw new InputError('INPUT_MALFORMED_DER', name, `${where}: ${der.length - ber} bytes of trailing data after the certificate`);
          }
          scan.pieces.push({ kind: 'cert', der });
          continue;
        }
        const why = typeof cert === 'string' && der[0] !== 0x30 ? 'not an X.509 certificate: does not start with a SEQUENCE' : problem;
        throw new InputError('INPUT_MALFORMED_DER', name, `${where}: ${why}`);
      }
      if (cert.end !== der.length) {
        if (block.label !== TRUSTED_LABEL) {
          throw new InputError('INPUT_MALFORMED_DER', name, `${where}: ${der.length - cert.end} bytes of trailing data after the certificate`);
        }
        const warning = auxWarning(der, cert.end, where);
        if (typeof warning === 'object') throw new InputError('INPUT_MALFORMED_DER', name, `${where}: ${warning.error}`);
        if (warning !== undefined) scan.warnings.push(warning);
      }
      scan.pieces.push({ kind: 'cert', der: der.length === cert.end ? der : copy(der, 0, cert.end) });
    } else if (PKCS7_LABELS.has(block.label)) {
      scan.pieces.push({ kind: 'pkcs7', der: decodePemBody(block, name), where });
    } else {
      const list = ignored.get(block.label) ?? [];
      list.push(block.index);
      ignored.set(block.label, list);
    }
  }
  if (ignored.size > 0) {
    const kinds = [...ignored].slice(0, 5).map(([label, at]) => `${describeBlock({ index: at[0], label, line: blocks[at[0] - 1].line })}${at.length > 1 ? ` and ${at.length - 1} more` : ''}`);
    const more = ignored.size > 5 ? ` and ${ignored.size - 5} other labels` : '';
    const total = [...ignored.values()].reduce((n, at) => n + at.length, 0);
    scan.warnings.push(`ignored ${total} PEM block(s) that hold no certificate: ${kinds.join(', ')}${more}`);
  }
  if (scan.pieces.length === 0 && scan.privateKeys === 0) {
    const labels = [...ignored.keys()].slice(0, 5).map((l) => `"${l}"`).join(', ');
    throw new InputError('INPUT_NOT_CERTIFICATE', name, `contains no certificate (PEM blocks found: ${labels})`);
  }
  return scan;
}

/**
 * The X509_CERT_AUX trailer of a `TRUSTED CERTIFICATE` (OpenSSL `d2i_X509_AUX`): one SEQUENCE of
 * { trust SEQUENCE OF OID OPTIONAL, reject [0] SEQUENCE OF OID OPTIONAL, alias UTF8String OPTIONAL, keyid
 * OCTET STRING OPTIONAL, other [1] OPTIONAL }. We keep the plain certificate; OpenSSL (and so nginx) would
 * also apply the trust/reject settings, so dropping them is worth a warning.
 */
function auxWarning(der: Uint8Array, start: number, where: string): string | { error: string } | undefined {
  const aux = readTlv(der, start, der.length);
  if (typeof aux === 'string') return { error: `TRUSTED CERTIFICATE trailer: ${aux}` };
  if (aux.tag !== 0x30 || aux.end !== der.length) return { error: 'TRUSTED CERTIFICATE trailer is not one X509_CERT_AUX SEQUENCE' };
  const kids = children(der, aux);
  if (typeof kids === 'string') return { error: `TRUSTED CERTIFICATE trailer: ${kids}` };
  const settings = [kids.some((k) => k.tag === 0x30) && 'trusted uses', kids.some((k) => k.tag === 0xa0) && 'rejected uses'].filter(Boolean);
  if (settings.length === 0) return undefined;
  return `${where}: its OpenSSL trust settings (${settings.join(', ')}) were dropped; OpenSSL and nginx would apply them`;
}

function scanDer(bytes: Uint8Array, outer: Tlv, name: string): Scan {
  const scan: Scan = { pieces: [], privateKeys: 0, warnings: [] };
  const kind = classifyDer(bytes, outer);
  switch (kind.kind) {
    case 'certificate':
      scan.pieces.push({ kind: 'cert', der: copy(bytes, 0, bytes.length) });
      return scan;
    case 'pkcs7':
      scan.pieces.push({ kind: 'pkcs7', der: copy(bytes, 0, bytes.length), where: 'the DER PKCS#7 file' });
      return scan;
    case 'private-key':
      scan.privateKeys++;
      return scan;
    case 'pkcs12':
      throw new InputError('INPUT_NOT_CERTIFICATE', name, 'is PKCS#12 (.p12/.pfx), which may hold a private key: extract the certificates with `openssl pkcs12 -in FILE -nokeys -out certs.pem`');
    case 'crl':
      throw new InputError('INPUT_NOT_CERTIFICATE', name, 'is a DER CRL, not a certificate');
    case 'csr':
      throw new InputError('INPUT_NOT_CERTIFICATE', name, 'is a DER certificate signing request, not a certificate');
    case 'malformed-certificate':
      throw new InputError('INPUT_MALFORMED_DER', name, kind.problem);
    case 'unknown':
      throw new InputError('INPUT_NOT_CERTIFICATE', name, 'is DER but not a certificate, PKCS#7 or private key');
  }
}

// --- a minimal DER walker: lengths and tags only, never recursion into content ------------------------------

interface Tlv {
  /** First identifier octet (class, constructed bit, low tag number; 0x1f for high tag numbers). */
  tag: number;
  start: number;
  valueStart: number;
  end: number;
}

const INDEFINITE = 'indefinite length (BER, not DER)';

/** Reads one TLV at `pos` that must end by `limit`. Returns a reason string instead of throwing. */
function readTlv(buf: Uint8Array, pos: number, limit: number): Tlv | string {
  const start = pos;
  if (pos >= limit) return `truncated: element expected at offset ${pos}`;
  const tag = buf[pos++];
  if ((tag & 0x1f) === 0x1f) {
    // High tag number form (X.690 §8.1.2.4): skip the base-128 tag octets.
    for (let n = 0; ; n++) {
      if (pos >= limit || n >= 4) return `bad tag at offset ${start}`;
      if ((buf[pos++] & 0x80) === 0) break;
    }
  }
  if (pos >= limit) return `truncated: no length at offset ${start}`;
  const first = buf[pos++];
  let len = first;
  if (first === 0x80) return INDEFINITE;
  if (first > 0x80) {
    const n = first & 0x7f;
    if (n > 4) return `length of element at offset ${start} is too large`;
    if (pos + n > limit) return `truncated: length of element at offset ${start} is cut`;
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + buf[pos++];
  }
  if (pos + len > limit) return `truncated: element at offset ${start} needs ${len} bytes, ${limit - pos} left`;
  return { tag, start, valueStart: pos, end: pos + len };
}

/** The TLVs that exactly fill a constructed TLV's value, or a reason. */
function children(buf: Uint8Array, parent: Tlv): Tlv[] | string {
  const out: Tlv[] = [];
  for (let pos = parent.valueStart; pos < parent.end; ) {
    const kid = readTlv(buf, pos, parent.end);
    if (typeof kid === 'string') return kid;
    out.push(kid);
    pos = kid.end;
  }
  return out;
}

/**
 * Why `tlv` is not shaped like an X.509 Certificate, or undefined. RFC 5280 §4.1:
 * Certificate ::= SEQUENCE { tbsCertificate, signatureAlgorithm SEQUENCE, signatureValue BIT STRING }
 * TBSCertificate ::= SEQUENCE { [0] version OPTIONAL, serialNumber INTEGER, signature SEQUENCE, issuer Name,
 *   validity SEQUENCE, subject Name, subjectPublicKeyInfo SEQUENCE, [1] issuerUID, [2] subjectUID, [3] extensions }
 */
function certificateProblem(buf: Uint8Array, tlv: Tlv): string | undefined {
  const not = (why: string) => `not an X.509 certificate: ${why}`;
  if (tlv.tag !== 0x30) return not('does not start with a SEQUENCE');
  const top = children(buf, tlv);
  if (typeof top === 'string') return not(top);
  if (top.length !== 3 || top[0].tag !== 0x30 || top[1].tag !== 0x30 || top[2].tag !== 0x03) {
    return not('expected tbsCertificate, signatureAlgorithm, signatureValue');
  }
  const tbs = children(buf, top[0]);
  if (typeof tbs === 'string') return not(`tbsCertificate: ${tbs}`);
  let i = tbs[0]?.tag === 0xa0 ? 1 : 0;
  const expected: [number, string][] = [
    [0x02, 'serialNumber'],
    [0x30, 'signature'],
    [0x30, 'issuer'],
    [0x30, 'validity'],
    [0x30, 'subject'],
    [0x30, 'subjectPublicKeyInfo'],
  ];
  for (const [tag, field] of expected) {
    if (tbs[i]?.tag !== tag) return not(`tbsCertificate.${field} is missing or has the wrong type`);
    i++;
  }
  for (; i < tbs.length; i++) {
    if (![0x81, 0xa1, 0x82, 0xa2, 0xa3].includes(tbs[i].tag)) return not('unexpected field after subjectPublicKeyInfo');
  }
  return undefined;
}

/**
 * The end of a certificate read as BER, or undefined. d2i_X509 accepts indefinite lengths on every constructed
 * element and constructed strings (src/certs/der.ts; OpenSSL 3.0.22 loads such PEM and DER files), which the DER
 * shape check above refuses: a certificate failing it gets this second look, and parseCertificate() the rest.
 */
function berCertificateEnd(der: Uint8Array): number | undefined {
  try {
    const r = new DerReader(der);
    const t = r.read(0, der.length, 0);
    if (t.tag !== 0x30) return undefined;
    const top = r.children(t);
    if (top.length !== 3 || top[0].tag !== 0x30 || top[1].tag !== 0x30 || (top[2].tag & ~0x20) !== 0x03) return undefined;
    return t.next;
  } catch {
    return undefined;
  }
}

type DerKind =
  | { kind: 'certificate' | 'pkcs7' | 'private-key' | 'pkcs12' | 'crl' | 'csr' | 'unknown' }
  | { kind: 'malformed-certificate'; problem: string };

/** 1.2.840.113549.1.7 (pkcs-7), content bytes of the OID: `*.2` is signedData. */
const PKCS7_ARC = [0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07];

function startsWithPkcs7Oid(buf: Uint8Array, pos: number): boolean {
  if (buf[pos] !== 0x06 || buf[pos + 1] !== PKCS7_ARC.length + 1) return false;
  return PKCS7_ARC.every((b, i) => buf[pos + 2 + i] === b);
}

/** What a single top-level DER SEQUENCE is, from its shape (enough to name it in an error). */
function classifyDer(buf: Uint8Array, outer: Tlv): DerKind {
  const kids = children(buf, outer);
  if (typeof kids === 'string') return { kind: 'malformed-certificate', problem: `is not valid DER: ${kids}` };
  if (kids[0]?.tag === 0x06 && startsWithPkcs7Oid(buf, kids[0].start)) return { kind: 'pkcs7' };
  const tags = kids.map((k) => k.tag);
  if (tags.length === 3 && tags[0] === 0x30 && tags[1] === 0x30 && tags[2] === 0x03) {
    const tbs = children(buf, kids[0]);
    if (typeof tbs !== 'string') {
      const t = tbs.map((k) => k.tag);
      if (t.length === 4 && t[0] === 0x02 && t[1] === 0x30 && t[2] === 0x30 && t[3] === 0xa0) return { kind: 'csr' }; // PKCS#10
      if (t.slice(2, 4).some((x) => x === 0x17 || x === 0x18)) return { kind: 'crl' }; // thisUpdate Time (RFC 5280 §5.1)
    }
    const problem = certificateProblem(buf, outer);
    return problem === undefined ? { kind: 'certificate' } : { kind: 'malformed-certificate', problem };
  }
  const intValue = (k: Tlv | undefined) => (k?.tag === 0x02 && k.end - k.valueStart === 1 ? buf[k.valueStart] : -1);
  const v = intValue(kids[0]);
  if (v === 3 && tags[1] === 0x30) return { kind: 'pkcs12' }; // PFX version 3 (RFC 7292 §4)
  if ((v === 0 || v === 1) && tags[1] === 0x30 && tags[2] === 0x04) return { kind: 'private-key' }; // PKCS#8 (RFC 5958)
  if (v === 0 && tags.length >= 6 && tags.every((t) => t === 0x02)) return { kind: 'private-key' }; // PKCS#1 RSA, DSA
  if (v === 1 && tags[1] === 0x04) return { kind: 'private-key' }; // SEC1 ECPrivateKey (RFC 5915)
  if (tags.length === 2 && tags[0] === 0x30 && tags[1] === 0x04) return { kind: 'private-key' }; // EncryptedPrivateKeyInfo
  return { kind: 'unknown' };
}

function copy(buf: Uint8Array, start: number, end: number): Uint8Array {
  return buf.slice(start, end); // TypedArray#slice copies into a fresh ArrayBuffer
}

// --- PKCS#7 -----------------------------------------------------------------------------------------------------

const SIGNED_DATA_OID = '1.2.840.113549.1.7.2';

/**
 * asn1js/pkijs budget for one PKCS#7 input. asn1js builds JS objects per ASN.1 element: measured with
 * Node 20 on a 2-core VM, ~1.6 kB of heap and ~20 µs per element (a plain certificate is 40–100 elements;
 * 2,000 RSA certificates = 84,000 elements: 1.9 s, 134 MB), so 100,000 elements bounds a hostile input to
 * ~2 s and ~160 MB, and covers every real .p7c/.p7b (an AIA .p7c holds 1–3 certificates, a root-store
 * export a few hundred). asn1js's own default (10,000) would reject bundles of ~100 certificates. PEM has
 * no such cost: 10,000 certificates read in ~0.2 s.
 */
const PKCS7_MAX_NODES = 100_000;

/**
 * Certificates of a PKCS#7/CMS SignedData (RFC 5652 §5.1 `certificates [0] IMPLICIT CertificateSet`), exact
 * bytes in set order. pkijs checks the SignedData structure; the bytes come from asn1js's record of what it
 * decoded (`valueBeforeDecodeView`), because pkijs's re-encoding of a Certificate need not be byte-identical
 * and the SHA-256 of a certificate must be the one of the bytes the CA published.
 */
async function certificatesFromPkcs7(der: Uint8Array, where: string, name: string, warnings: string[]): Promise<Uint8Array[]> {
  const [asn1js, pkijs] = await Promise.all([import('asn1js'), import('pkijs')]);
  const bad = (why: string, cause?: unknown) => new InputError('INPUT_MALFORMED_PKCS7', name, `${where}: ${why}`, { cause });
  let raws: { tagClass: number; tagNumber: number; bytes: Uint8Array }[] = [];
  let sd: InstanceType<typeof pkijs.SignedData>;
  try {
    // parseEmbedded: false — do not speculatively decode OCTET/BIT STRING contents (pkijs decodes the
    // extension values it needs itself); maxNodes bounds time and memory (see PKCS7_MAX_NODES).
    const parsed = asn1js.fromBER(der, { maxNodes: PKCS7_MAX_NODES, maxContentLength: der.length, parseEmbedded: false });
    if (parsed.offset === -1 && parsed.result.error === 'Maximum ASN.1 node count exceeded') {
      throw new InputError(
        'INPUT_TOO_LARGE',
        name,
        `${where}: more than ${PKCS7_MAX_NODES} ASN.1 elements (roughly 1,000 certificates or more): convert it to PEM with \`openssl pkcs7 -print_certs -in FILE -out certs.pem\``,
      );
    }
    if (parsed.offset === -1) throw bad(`not valid BER: ${parsed.result.error}`);
    const info = new pkijs.ContentInfo({ schema: parsed.result });
    if (info.contentType !== SIGNED_DATA_OID) throw bad(`content type ${info.contentType} is not signedData (${SIGNED_DATA_OID})`);
    const content = info.content as InstanceType<typeof asn1js.Sequence>;
    // Record the CertificateSet members before pkijs walks (and may retag) them.
    const set = content.valueBlock?.value?.find((b) => b.idBlock.tagClass === 3 && b.idBlock.tagNumber === 0) as
      | InstanceType<typeof asn1js.Constructed>
      | undefined;
    raws = (set?.valueBlock.value ?? []).map((b) => ({
      tagClass: b.idBlock.tagClass,
      tagNumber: b.idBlock.tagNumber,
      bytes: b.valueBeforeDecodeView.slice(),
    }));
    sd = new pkijs.SignedData({ schema: content });
  } catch (err) {
    if (err instanceof InputError) throw err;
    // pkijs's schema errors, and RangeError from asn1js recursion on absurdly deep nesting.
    throw bad(`not a PKCS#7 SignedData (${err instanceof Error ? err.message : String(err)})`, err);
  }
  // CertificateChoices (RFC 5652 §10.2.2): a plain SEQUENCE is an X.509 Certificate; [0]..[3] are legacy
  // extended certificates, attribute certificates and other formats, which nginx could never use.
  const certs = raws.filter((r) => r.tagClass === 1 && r.tagNumber === 16).map((r) => r.bytes);
  const parsedCount = (sd.certificates ?? []).filter((c) => c instanceof pkijs.Certificate).length;
  if (parsedCount !== certs.length) throw bad(`pkijs read ${parsedCount} certificates, the DER walk ${certs.length}`);
  if (raws.length > certs.length) warnings.push(`${where}: ignored ${raws.length - certs.length} non-X.509 certificate entries`);
  certs.forEach((c, i) => {
    const tlv = readTlv(c, 0, c.length);
    const problem = typeof tlv === 'string' ? tlv : certificateProblem(c, tlv);
    if (problem !== undefined) throw new InputError('INPUT_MALFORMED_DER', name, `${where}, certificate ${i + 1}: ${problem}`);
  });
  if (certs.length === 0) warnings.push(`${where}: the PKCS#7 SignedData holds no certificate`);
  return certs;
}
