/**
 * A one-pass check that a certificate is plain DER of the usual shape and that d2i_X509 (OpenSSL 3.0) reads it,
 * without decoding anything: for the certificates of a trust bundle that are read at load and, most of them,
 * never used again (src/certs/lazy-cert.ts).
 *
 * nginx parses every certificate of proxy_ssl_trusted_certificate when it starts (X509_load_cert_crl_file →
 * PEM_X509_INFO_read_bio → d2i_X509) and refuses to start on one it cannot read, so a bundle must still be
 * refused when it is read. The full answer is readX509Facts() (x509-facts.ts) plus opensslParseProblem()
 * (openssl-d2i.ts), ~0.1 ms a certificate once compiled and several times that in a one-shot command. This walk
 * answers for the common case only and is conservative: `undefined` means "not sure", never "refused", and the
 * caller then runs the full check, whose verdict and message stand. What it accepts, both of those accept:
 *
 * - definite lengths (at most 4 length octets, as DerReader), low tag numbers, primitive strings: no BER;
 * - Certificate { TBSCertificate, AlgorithmIdentifier, BIT STRING }; TBSCertificate { [0] { INTEGER }?,
 *   INTEGER, AlgorithmIdentifier, Name, Validity { Time, Time }, Name, SubjectPublicKeyInfo, [1]?, [2]?, [3]? }
 *   in the X509_CINF template order, each optional field at most once;
 * - INTEGERs non-empty and minimally padded (c2i_ibuf), BIT STRINGs with 0-7 unused bits (c2i_ASN1_BIT_STRING),
 *   OBJECT IDENTIFIERs as decodeOid() reads them (der.ts: 1-128 octets, no 0x80 arc start, not truncated);
 * - AlgorithmIdentifier parameters absent, NULL, an OBJECT IDENTIFIER or a SEQUENCE (checkAny's cases);
 * - Name values (ASN1_PRINTABLE, x509_name_canon): PrintableString, IA5String, T61String, UTF8String with
 *   valid UTF-8, BMPString of even length without surrogates; no empty RDN, at most 10,000 entries;
 * - Extensions { Extension { OID, BOOLEAN of one octet?, OCTET STRING } ... }: their values are not looked at,
 *   as d2i does not (x509v3_cache_extensions() judges them later: EXFLAG_INVALID, not a parse failure).
 */

/** Where the subject Name lies in the DER: what a trust store indexes on (X509_LU_BY_SUBJECT). */
export interface PlainLayout {
  /** Offset of the subject Name's identifier octet. */
  subjectStart: number;
  /** Offset just past the subject Name. */
  subjectEnd: number;
}

class NotPlain extends Error {}
const NOT_PLAIN = new NotPlain();

/** Set by header(): the content of the element just read. Module state keeps the walk free of allocations. */
let contentStart = 0;
let contentEnd = 0;

/** Reads the header at `p` (which must be before `limit`) with identifier `tag`; sets contentStart/contentEnd. */
function header(der: Uint8Array, p: number, limit: number, tag: number): void {
  if (p + 2 > limit || der[p] !== tag) throw NOT_PLAIN;
  let len = der[p + 1];
  p += 2;
  if (len >= 0x80) {
    const n = len & 0x7f;
    if (n === 0 || n > 4 || p + n > limit) throw NOT_PLAIN;
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + der[p++];
  }
  if (len > limit - p) throw NOT_PLAIN;
  contentStart = p;
  contentEnd = p + len;
}

function integer(der: Uint8Array, s: number, e: number): void {
  if (e === s) throw NOT_PLAIN;
  if (e - s > 1 && ((der[s] === 0x00 && (der[s + 1] & 0x80) === 0) || (der[s] === 0xff && (der[s + 1] & 0x80) !== 0))) throw NOT_PLAIN;
}

function bitString(der: Uint8Array, s: number, e: number): void {
  if (e === s || der[s] > 7) throw NOT_PLAIN;
}

function oid(der: Uint8Array, s: number, e: number): void {
  if (e === s || e - s > 128 || (der[e - 1] & 0x80) !== 0) throw NOT_PLAIN;
  for (let i = s; i < e; i++) if (der[i] === 0x80 && (i === s || (der[i - 1] & 0x80) === 0)) throw NOT_PLAIN;
}

function empty(_der: Uint8Array, s: number, e: number): void {
  if (e !== s) throw NOT_PLAIN; // NULL
}

function oneOctet(_der: Uint8Array, s: number, e: number): void {
  if (e - s !== 1) throw NOT_PLAIN; // BOOLEAN
}

/** A whole element at `p` with identifier `tag`, its content checked by `check`; returns the offset after it. */
function element(der: Uint8Array, p: number, limit: number, tag: number, check?: (der: Uint8Array, s: number, e: number) => void): number {
  header(der, p, limit, tag);
  const end = contentEnd;
  check?.(der, contentStart, end);
  return end;
}

function algorithm(der: Uint8Array, p: number, limit: number): number {
  header(der, p, limit, 0x30);
  const end = contentEnd;
  let q = element(der, contentStart, end, 0x06, oid);
  if (q < end) {
    const t = der[q];
    if (t === 0x05) q = element(der, q, end, 0x05, empty);
    else if (t === 0x06) q = element(der, q, end, 0x06, oid);
    else q = element(der, q, end, 0x30);
  }
  if (q !== end) throw NOT_PLAIN;
  return end;
}

const utf8Fatal = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

function nameValue(der: Uint8Array, p: number, limit: number): number {
  const tag = der[p];
  header(der, p, limit, tag);
  const s = contentStart;
  const e = contentEnd;
  if (tag === 0x0c) {
    let ascii = true;
    for (let i = s; i < e; i++) if (der[i] >= 0x80) ascii = false;
    if (!ascii) {
      try {
        utf8Fatal.decode(der.subarray(s, e));
      } catch {
        throw NOT_PLAIN;
      }
    }
  } else if (tag === 0x1e) {
    if ((e - s) % 2 !== 0) throw NOT_PLAIN;
    for (let i = s; i < e; i += 2) if ((der[i] & 0xf8) === 0xd8) throw NOT_PLAIN; // U+D800-U+DFFF
  } else if (tag !== 0x13 && tag !== 0x16 && tag !== 0x14) {
    throw NOT_PLAIN;
  }
  return e;
}

function name(der: Uint8Array, p: number, limit: number): number {
  header(der, p, limit, 0x30);
  const end = contentEnd;
  if (end - p > 1024 * 1024) throw NOT_PLAIN; // X509_NAME_MAX
  let entries = 0;
  for (let q = contentStart; q < end; ) {
    header(der, q, end, 0x31);
    const setEnd = contentEnd;
    if (contentStart === setEnd) throw NOT_PLAIN; // an empty RDN: decodeName's business
    for (let a = contentStart; a < setEnd; ) {
      if (++entries > 10_000) throw NOT_PLAIN;
      header(der, a, setEnd, 0x30);
      const avaEnd = contentEnd;
      const v = element(der, contentStart, avaEnd, 0x06, oid);
      if (v >= avaEnd || nameValue(der, v, avaEnd) !== avaEnd) throw NOT_PLAIN;
      a = avaEnd;
    }
    q = setEnd;
  }
  return end;
}

function validity(der: Uint8Array, p: number, limit: number): number {
  header(der, p, limit, 0x30);
  const end = contentEnd;
  let q = contentStart;
  for (let i = 0; i < 2; i++) q = element(der, q, end, der[q] === 0x18 ? 0x18 : 0x17);
  if (q !== end) throw NOT_PLAIN;
  return end;
}

function extensions(der: Uint8Array, p: number, limit: number): number {
  header(der, p, limit, 0xa3);
  const end = contentEnd;
  if (element(der, contentStart, end, 0x30) !== end) throw NOT_PLAIN;
  let count = 0;
  for (let q = contentStart; q < end; ) {
    if (++count > 100_000) throw NOT_PLAIN; // readX509Facts' bound
    header(der, q, end, 0x30);
    const extEnd = contentEnd;
    let r = element(der, contentStart, extEnd, 0x06, oid);
    if (r < extEnd && der[r] === 0x01) r = element(der, r, extEnd, 0x01, oneOctet);
    if (element(der, r, extEnd, 0x04) !== extEnd) throw NOT_PLAIN;
    q = extEnd;
  }
  return end;
}

/** The TBSCertificate; returns the subject's place. */
function tbsCertificate(der: Uint8Array, p: number, limit: number): PlainLayout {
  header(der, p, limit, 0x30);
  const end = contentEnd;
  let q = contentStart;
  if (der[q] === 0xa0) {
    header(der, q, end, 0xa0);
    const vEnd = contentEnd;
    if (element(der, contentStart, vEnd, 0x02, integer) !== vEnd) throw NOT_PLAIN;
    q = vEnd;
  }
  q = element(der, q, end, 0x02, integer);
  q = algorithm(der, q, end);
  q = name(der, q, end);
  q = validity(der, q, end);
  const subjectStart = q;
  q = name(der, q, end);
  const subjectEnd = q;
  header(der, q, end, 0x30);
  const spkiEnd = contentEnd;
  if (element(der, algorithm(der, contentStart, spkiEnd), spkiEnd, 0x03, bitString) !== spkiEnd) throw NOT_PLAIN;
  q = spkiEnd;
  if (q < end && der[q] === 0x81) q = element(der, q, end, 0x81, bitString);
  if (q < end && der[q] === 0x82) q = element(der, q, end, 0x82, bitString);
  if (q < end) q = extensions(der, q, end);
  if (q !== end) throw NOT_PLAIN;
  return { subjectStart, subjectEnd };
}

/** Verdicts by DER object: the loader (load.ts) asks first, to skip its own shape check, then parseCertificate. */
const memo = new WeakMap<Uint8Array, PlainLayout | null>();

/** The subject's place when `der` is a plain certificate that d2i_X509 reads; undefined when not sure (see above). */
export function plainCertificateLayout(der: Uint8Array): PlainLayout | undefined {
  let layout = memo.get(der);
  if (layout === undefined) {
    layout = walk(der) ?? null;
    memo.set(der, layout);
  }
  return layout ?? undefined;
}

function walk(der: Uint8Array): PlainLayout | undefined {
  try {
    const end = der.length;
    header(der, 0, end, 0x30);
    if (contentEnd !== end) return undefined;
    const tbsStart = contentStart;
    header(der, tbsStart, end, 0x30);
    const tbsEnd = contentEnd;
    const layout = tbsCertificate(der, tbsStart, end);
    if (element(der, algorithm(der, tbsEnd, end), end, 0x03, bitString) !== end) return undefined;
    return layout;
  } catch (e) {
    if (e === NOT_PLAIN) return undefined;
    throw e;
  }
}
