/**
 * The `parity/` family of the differential suite: certificates OpenSSL 3.0 reads although they are not DER, or whose
 * extensions are odd in ways `x509v3_cache_extensions` (crypto/x509/v3_purp.c) judges, from the engine-parity issue.
 * One sub-family per point of that issue:
 *   a  a Name holding an empty RDN (`SET {}`): x509_name_ex_d2i keeps no entry for it, x509_name_canon skips it;
 *   b  BER indefinite lengths on constructed encodings (tasn_dec.c), refused on primitive ones (ASN1_get_object);
 *   c  a CRL distribution point with neither distributionPoint nor cRLIssuer (setup_dp: EXFLAG_INVALID);
 *   d  bytes after an extension's value (X509V3_EXT_d2i does not check that the value was consumed);
 *   e  extension values holding strings in constructed form (asn1_collect concatenates the parts' contents);
 *   f  notBefore/notAfter texts X509_cmp_time cannot read (verify errors 13/14 at the certificate's depth);
 *   g  a leaf with 2,000 SANs, the name first, last, absent, and under name constraints (NAME_CHECK_MAX).
 *
 * Kept apart from generate-cases.ts on purpose: regenerating the main corpus makes fresh keys for all of its ~2,000
 * cases, while this corpus (parity-cases.json.gz, parity-verdicts.json) is regenerated on its own:
 *   node --import tsx test/differential/run-openssl.ts --parity
 * Where the point is parsing, a mutant's TBSCertificate is re-encoded first and then signed again, so every
 * signature is valid and only the encoding is under test.
 */
import { sign } from 'node:crypto';
import { OID, KeyPool, extension, toPem, type KeyPair } from './cert-builder.js';
import { allIndefinite, constructedString, editAt, indefinite, readBer, writeBer, type BerNode } from './ber.js';
import { bitString, explicit, implicitPrim, octet, oid, seq, tlv, type Der } from './der.js';
import { CLOCK, CaseSink, DEFAULT_SEED, chain, seededRandom, type Chain, type DifferentialCase } from './generate-cases.js';
import { Pki, type CertOptions, type Issued } from './pki.js';

const F = 'parity';
type Position = 'leaf' | 'intermediate' | 'root';
const POSITIONS: Position[] = ['leaf', 'intermediate', 'root'];

/** Indexes of a version 3 TBSCertificate's fields (RFC 5280 section 4.1). */
const TBS = { version: 0, serial: 1, signature: 2, issuer: 3, validity: 4, subject: 5, spki: 6, extensions: 7 } as const;

// ------------------------------------------------------------------------------------------------ re-signing

/**
 * `cert` with its TBSCertificate changed by `edit` and signed again by `signer` (ECDSA P-256 with SHA-256, the
 * algorithm the certificate already announces), then the whole Certificate changed by `outer`, which must leave the
 * TBSCertificate as it is. OpenSSL verifies the signature over the bytes received (X509_CINF keeps its encoding,
 * ASN1_SEQUENCE_enc), so a BER TBSCertificate signed as such verifies.
 */
function resign(cert: Issued, signer: KeyPair, edit: (tbs: BerNode) => BerNode, outer: (c: BerNode) => BerNode = (c) => c): Issued {
  if (signer.kind !== 'p256') throw new Error('resign() signs with P-256 keys only');
  const [tbs, algorithm] = readBer(cert.der).children!;
  const edited = edit(tbs!);
  const signature = sign('sha256', writeBer(edited), signer.privateKey);
  const der = writeBer(outer({ tag: 0x30, children: [edited, algorithm!, readBer(bitString(signature))] }));
  return { ...cert, der, pem: toPem(der) };
}

/** The signer of each certificate of a one-intermediate chain. */
function signerOf(c: Chain, position: Position): KeyPair {
  return position === 'leaf' ? c.ints[0]!.key : c.root.key;
}

/** The chain with the certificate at `position` re-signed after `edit`; the root stays in the bundle. */
function withEdited(c: Chain, position: Position, edit: (tbs: BerNode) => BerNode, outer?: (n: BerNode) => BerNode): Chain {
  const current = position === 'leaf' ? c.leaf : position === 'intermediate' ? c.ints[0]! : c.root;
  const changed = resign(current, signerOf(c, position), edit, outer);
  const root = position === 'root' ? changed : c.root;
  const int = position === 'intermediate' ? changed : c.ints[0]!;
  const leaf = position === 'leaf' ? changed : c.leaf;
  return { root, ints: [int], leaf, sent: [leaf, int] };
}

const sameOid = (node: BerNode | undefined, oidText: string): boolean =>
  node?.content !== undefined && node.content.equals(oid(oidText).subarray(2));

/** The TBSCertificate with `edit` applied to the Extension whose extnID is `oidText`. */
function editExtension(oidText: string, edit: (ext: BerNode) => BerNode): (tbs: BerNode) => BerNode {
  return (tbs) => {
    const list = tbs.children![TBS.extensions]!.children![0]!;
    const index = list.children!.findIndex((e) => sameOid(e.children![0], oidText));
    if (index === -1) throw new Error(`no extension ${oidText}`);
    return editAt(tbs, [TBS.extensions, 0, index], edit);
  };
}

/** The Extension with the DER inside its extnValue changed by `edit`. */
const editValue =
  (edit: (value: BerNode) => BerNode) =>
  (ext: BerNode): BerNode => {
    const last = ext.children!.length - 1;
    return editAt(ext, [last], (o) => ({ tag: 0x04, content: writeBer(edit(readBer(o.content!))) }));
  };

// ------------------------------------------------------------------------------------------------ a. empty RDN

const EMPTY_RDN: BerNode = { tag: 0x31, children: [] };
const RDN_EDITS: Array<[string, RdnEdit]> = [
  ['first', (r) => [EMPTY_RDN, ...r]],
  ['middle', (r) => [r[0]!, EMPTY_RDN, ...r.slice(1)]],
  ['last', (r) => [...r, EMPTY_RDN]],
  ['twice', (r) => [EMPTY_RDN, ...r, EMPTY_RDN]],
  ['only', () => [EMPTY_RDN]],
];

function withRdns(field: number, edit: RdnEdit): (tbs: BerNode) => BerNode {
  return (tbs) => editAt(tbs, [field], (n) => ({ ...n, children: edit(n.children!) }));
}

type RdnEdit = (rdns: BerNode[]) => BerNode[];

/** The chain with empty RDNs put by `e` into the given Name fields of the certificate at `position`. */
function emptyRdnIn(c: Chain, position: Position, fields: number[], e: RdnEdit): Chain {
  return withEdited(c, position, (tbs) => fields.reduce((t, field) => withRdns(field, e)(t), tbs));
}

function emptyRdn(pki: Pki, sink: CaseSink): void {
  const { subject, issuer } = TBS;
  const two = (cn: string): CertOptions => ({ subject: [['O', 'Parity'], ['CN', cn]] });
  type Place = [name: string, description: string, build: (c: Chain, e: RdnEdit) => Chain, leafOptions?: CertOptions];
  const places: Place[] = [
    ['leaf-subject', 'leaf subject', (c, e) => emptyRdnIn(c, 'leaf', [subject], e)],
    ['leaf-subject-cn-only', 'leaf subject, no SAN (the name is matched against the CN)', (c, e) => emptyRdnIn(c, 'leaf', [subject], e), { san: null }],
    ['leaf-issuer', "leaf issuer field (the intermediate's subject has no empty RDN)", (c, e) => emptyRdnIn(c, 'leaf', [issuer], e)],
    ['intermediate-subject', "intermediate subject (the leaf's issuer field has none)", (c, e) => emptyRdnIn(c, 'intermediate', [subject], e)],
    [
      'intermediate-subject-and-leaf-issuer',
      "intermediate subject and the leaf's issuer field",
      (c, e) => emptyRdnIn(emptyRdnIn(c, 'intermediate', [subject], e), 'leaf', [issuer], e),
    ],
    ['intermediate-issuer', "intermediate issuer field (the root's subject has none)", (c, e) => emptyRdnIn(c, 'intermediate', [issuer], e)],
    ['root-subject', 'trusted root subject and issuer', (c, e) => emptyRdnIn(c, 'root', [subject, issuer], e)],
    [
      'root-subject-not-issuer',
      'trusted root subject only (its issuer field has none: self-issued only after canonicalisation)',
      (c, e) => emptyRdnIn(c, 'root', [subject], e),
    ],
    [
      'root-subject-and-intermediate-issuer',
      "trusted root subject and issuer, and the intermediate's issuer field",
      (c, e) => emptyRdnIn(emptyRdnIn(c, 'root', [subject, issuer], e), 'intermediate', [issuer], e),
    ],
  ];
  for (const [name, description, build, leafOptions] of places) {
    for (const [variant, edit] of RDN_EDITS) {
      const plain = chain(pki, { root: two('Parity Root'), ints: [two('Parity Intermediate')], leaf: { ...two('www.a.test'), ...leafOptions } });
      const c = build(plain, edit);
      sink.add(`${F}/a-empty-rdn/${name}-${variant}`, `empty RDN (${variant}) in the ${description}`, { trusted: [c.root], sent: c.sent });
    }
  }
  const c = emptyRdnIn(chain(pki, { root: two('Parity Root') }), 'root', [subject, issuer], RDN_EDITS[0]![1]);
  sink.add(`${F}/a-empty-rdn/root-subject-first-also-sent`, 'empty RDN first in the trusted root, which the server also sends', {
    trusted: [c.root],
    sent: [...c.sent, c.root],
  });
}

// ------------------------------------------------------------------------------------------------ b. indefinite lengths

function berIndefinite(pki: Pki, sink: CaseSink): void {
  const at = (path: number[]) => (tbs: BerNode) => editAt(tbs, path, indefinite);
  type Target = [string, (tbs: BerNode) => BerNode, ((c: BerNode) => BerNode)?];
  const constructed: Target[] = [
    ['certificate', (t) => t, indefinite],
    ['tbs', indefinite],
    ['version-tag', at([TBS.version])],
    ['signature-algorithm', at([TBS.signature])],
    ['outer-signature-algorithm', (t) => t, (c) => editAt(c, [1], indefinite)],
    ['issuer', at([TBS.issuer])],
    ['issuer-rdn', (t) => editAt(at([TBS.issuer, 0])(t), [TBS.issuer, 0, 0], indefinite)],
    ['validity', at([TBS.validity])],
    ['subject', at([TBS.subject])],
    ['spki', at([TBS.spki])],
    ['spki-algorithm', at([TBS.spki, 0])],
    ['extensions-tag', at([TBS.extensions])],
    ['extensions-sequence', at([TBS.extensions, 0])],
    ['each-extension', (t) => editAt(t, [TBS.extensions, 0], (l) => ({ ...l, children: l.children!.map(indefinite) }))],
    ['everything', allIndefinite, allIndefinite],
  ];
  for (const position of POSITIONS) {
    for (const [name, edit, outer] of constructed) {
      const c = withEdited(chain(pki), position, edit, outer);
      sink.add(`${F}/b-indefinite/${position}-${name}`, `${position}: indefinite length on ${name}`, { trusted: [c.root], sent: c.sent });
    }
  }
}

/** Indefinite lengths inside extension values: X509V3_EXT_d2i → ASN1_item_d2i reads BER there too. */
function berIndefiniteInValues(pki: Pki, sink: CaseSink): void {
  const inValue: Array<[string, Position, string, CertOptions?]> = [
    ['leaf-basic-constraints', 'leaf', OID.basicConstraints],
    ['leaf-ext-key-usage', 'leaf', OID.extKeyUsage],
    ['leaf-subject-alt-name', 'leaf', OID.subjectAltName],
    ['leaf-authority-key-id', 'leaf', OID.authorityKeyIdentifier],
    ['intermediate-basic-constraints', 'intermediate', OID.basicConstraints, { bc: { ca: true, pathLen: 0 } }],
    ['intermediate-name-constraints-inside', 'intermediate', OID.nameConstraints, { nc: { permitted: [{ dns: 'a.test' }] } }],
    ['intermediate-name-constraints-outside', 'intermediate', OID.nameConstraints, { nc: { permitted: [{ dns: 'b.test' }] } }],
    ['root-basic-constraints', 'root', OID.basicConstraints],
  ];
  for (const [name, position, oidText, options] of inValue) {
    const c = withEdited(chain(pki, optionsAt(position, options ?? {})), position, editExtension(oidText, editValue(allIndefinite)));
    sink.add(`${F}/b-indefinite/value-${name}`, `${position}: ${oidText} value with indefinite lengths`, { trusted: [c.root], sent: c.sent });
  }
}

/** Indefinite lengths on primitive encodings: refused by ASN1_get_object, so d2i_X509 fails and nothing loads. */
function berIndefinitePrimitives(pki: Pki, sink: CaseSink): void {
  const at = (path: number[]) => (tbs: BerNode) => editAt(tbs, path, indefinite);
  const primitive: Array<[string, (tbs: BerNode) => BerNode]> = [
    ['serial', at([TBS.serial])],
    ['not-before', at([TBS.validity, 0])],
    ['subject-public-key', at([TBS.spki, 1])],
    ['extn-value', (t) => editExtension(OID.basicConstraints, (e) => editAt(e, [e.children!.length - 1], indefinite))(t)],
  ];
  for (const position of POSITIONS) {
    for (const [name, edit] of primitive) {
      const c = withEdited(chain(pki), position, edit);
      sink.add(`${F}/b-indefinite/refused-${position}-${name}`, `${position}: indefinite length on the primitive ${name} (refused)`, {
        trusted: [c.root],
        sent: c.sent,
      });
    }
  }
  // A primitive with an indefinite length inside an extension value: the certificate loads, the extension does not.
  for (const [position, oidText, options] of [
    ['leaf', OID.subjectAltName, {}],
    ['intermediate', OID.nameConstraints, { nc: { permitted: [{ dns: 'a.test' }] } }],
  ] as Array<[Position, string, CertOptions]>) {
    const firstName = (v: BerNode): BerNode =>
      oidText === OID.subjectAltName ? editAt(v, [0], indefinite) : editAt(v, [0, 0, 0], indefinite);
    const c = withEdited(chain(pki, optionsAt(position, options)), position, editExtension(oidText, editValue(firstName)));
    sink.add(`${F}/b-indefinite/value-primitive-${position}-${oidText === OID.subjectAltName ? 'san' : 'name-constraints'}`, `${position}: a GeneralName in ${oidText} with an indefinite length (undecodable extension)`, {
      trusted: [c.root],
      sent: c.sent,
    });
  }
}

/** ChainOptions that put `options` on the certificate at `position`. */
function optionsAt(position: Position, options: CertOptions): { root?: CertOptions; ints?: CertOptions[]; leaf?: CertOptions } {
  return position === 'root' ? { root: options } : position === 'intermediate' ? { ints: [options] } : { leaf: options };
}

// ------------------------------------------------------------------------------------------------ c. CRL distribution points

function crlDistributionPoints(pki: Pki, sink: CaseSink): void {
  const uri = implicitPrim(6, Buffer.from('http://crl.a.test/c.crl'));
  const fullName = explicit(0, explicit(0, uri));
  const values: Array<[string, Der]> = [
    ['empty-point', seq(seq())],
    ['reasons-only', seq(seq(implicitPrim(1, Buffer.from([1, 0x02]))))],
    ['empty-crl-issuer', seq(seq(explicit(2, Buffer.alloc(0))))],
    ['reasons-and-empty-crl-issuer', seq(seq(implicitPrim(1, Buffer.from([1, 0x02])), explicit(2, Buffer.alloc(0))))],
    ['good-then-empty', seq(seq(fullName), seq())],
    ['empty-then-good', seq(seq(), seq(fullName))],
    ['no-points', seq()],
    ['full-name', seq(seq(fullName))],
    ['crl-issuer-only', seq(seq(explicit(2, uri)))],
    ['empty-full-name', seq(seq(explicit(0, explicit(0, Buffer.alloc(0)))))],
    ['empty-name-relative', seq(seq(explicit(0, explicit(1, Buffer.alloc(0)))))],
  ];
  for (const position of POSITIONS) {
    for (const [name, value] of values) {
      const c = chain(pki, optionsAt(position, { extra: [extension(OID.crlDistributionPoints, false, value)] }));
      sink.add(`${F}/c-crldp/${position}-${name}`, `${position}: cRLDistributionPoints ${name}`, { trusted: [c.root], sent: c.sent });
    }
    const c = chain(pki, optionsAt(position, { extra: [extension(OID.crlDistributionPoints, true, values[0]![1])] }));
    sink.add(`${F}/c-crldp/${position}-empty-point-critical`, `${position}: critical cRLDistributionPoints with an empty point`, {
      trusted: [c.root],
      sent: c.sent,
    });
  }
  const c = chain(pki, { root: { extra: [extension(OID.crlDistributionPoints, false, values[0]![1])] } });
  sink.add(`${F}/c-crldp/root-empty-point-also-sent`, 'trusted root with an empty CRL distribution point, also sent', {
    trusted: [c.root],
    sent: [...c.sent, c.root],
  });
}

// ------------------------------------------------------------------------------------------------ d. trailing bytes

function trailingBytes(pki: Pki, sink: CaseSink): void {
  const trailers: Array<[string, Buffer]> = [
    ['null', Buffer.from([0x05, 0x00])],
    ['ff', Buffer.from([0xff])],
  ];
  const uri = implicitPrim(6, Buffer.from('http://crl.a.test/c.crl'));
  type Variant = [string, Position[], (t: Buffer, key: KeyPair, issuer: Issued | undefined, position: Position) => CertOptions];
  const raw = (oidText: string, critical: boolean, value: Der, t: Buffer) => extension(oidText, critical, Buffer.concat([value, t]));
  const variants: Variant[] = [
    ['basic-constraints', POSITIONS, (t, _k, _i, p) => ({ bc: null, extra: [raw(OID.basicConstraints, true, p === 'leaf' ? seq() : seq(tlv(0x01, Buffer.from([0xff]))), t)] })],
    ['key-usage', POSITIONS, (t, _k, _i, p) => ({ ku: null, extra: [raw(OID.keyUsage, true, p === 'leaf' ? bitString(Buffer.from([0x80]), 7) : bitString(Buffer.from([0x06]), 1), t)] })],
    ['ext-key-usage', ['leaf', 'intermediate'], (t) => ({ eku: null, extra: [raw(OID.extKeyUsage, false, seq(oid(OID.serverAuth)), t)] })],
    ['subject-alt-name', ['leaf'], (t) => ({ san: null, extra: [raw(OID.subjectAltName, false, seq(implicitPrim(2, Buffer.from('www.a.test'))), t)] })],
    ['authority-key-id', ['leaf', 'intermediate'], (t, _k, i) => ({ aki: null, extra: [raw(OID.authorityKeyIdentifier, false, seq(implicitPrim(0, i!.ski!)), t)] })],
    ['subject-key-id', ['intermediate', 'root'], (t, k) => ({ key: k, ski: null, extra: [raw(OID.subjectKeyIdentifier, false, octet(k.keyId), t)] })],
    ['crl-distribution-points', ['leaf', 'intermediate'], (t) => ({ extra: [raw(OID.crlDistributionPoints, false, seq(seq(explicit(0, explicit(0, uri)))), t)] })],
    ['name-constraints-inside', ['intermediate', 'root'], (t) => ({ extra: [raw(OID.nameConstraints, true, seq(explicit(0, seq(implicitPrim(2, Buffer.from('a.test'))))), t)] })],
    ['name-constraints-outside', ['intermediate', 'root'], (t) => ({ extra: [raw(OID.nameConstraints, true, seq(explicit(0, seq(implicitPrim(2, Buffer.from('b.test'))))), t)] })],
  ];
  for (const [name, positions, options] of variants) {
    for (const position of positions) {
      for (const [trailerName, trailer] of trailers) {
        const c = chainWith(pki, position, (issuer) => options(trailer, pki.key('p256'), issuer, position));
        sink.add(`${F}/d-trailing/${position}-${name}-${trailerName}`, `${position}: ${name} value followed by ${trailer.toString('hex')}`, {
          trusted: [c.root],
          sent: c.sent,
        });
      }
    }
  }
}

/** A one-intermediate chain whose certificate at `position` gets the options made from its issuer. */
function chainWith(pki: Pki, position: Position, options: (issuer: Issued | undefined) => CertOptions): Chain {
  const root = pki.root(position === 'root' ? options(undefined) : {});
  const int = pki.intermediate(root, position === 'intermediate' ? options(root) : {});
  const leaf = pki.leaf(int, position === 'leaf' ? options(int) : {});
  return { root, ints: [int], leaf, sent: [leaf, int] };
}

// ------------------------------------------------------------------------------------------------ e. constructed strings

function constructedStrings(pki: Pki, sink: CaseSink): void {
  const extnValueConstructed = (e: BerNode): BerNode => editAt(e, [e.children!.length - 1], (o) => constructedString(o, { parts: 3 }));
  type Variant = [string, string, Position, (tbs: BerNode) => BerNode, { hostname?: string; options?: CertOptions }?];
  const san = (o: Parameters<typeof constructedString>[1]) => editExtension(OID.subjectAltName, editValue((v) => editAt(v, [0], (n) => constructedString(n, o))));
  const variants: Variant[] = [
    ['san-dns-two-parts', 'SAN dNSName in two parts', 'leaf', san({ parts: 2 })],
    ['san-dns-one-octet-parts', 'SAN dNSName in one-octet parts', 'leaf', san({ parts: 100 })],
    ['san-dns-indefinite', 'SAN dNSName constructed with an indefinite length', 'leaf', san({ parts: 2, indefinite: true })],
    ['san-dns-ia5-parts', 'SAN dNSName whose parts are IA5String', 'leaf', san({ parts: 2, partTag: 0x16 })],
    // asn1_collect() refuses a constructed part met at depth ASN1_MAX_STRING_NEST (5): 6 constructed levels read,
    // 7 make the SAN undecodable (EXFLAG_INVALID).
    ['san-dns-nested-6', 'SAN dNSName in 6 nested constructed levels (the most asn1_collect reads)', 'leaf', san({ parts: 2, nest: 6 })],
    ['san-dns-nested-7', 'SAN dNSName in 7 nested constructed levels (beyond ASN1_MAX_STRING_NEST)', 'leaf', san({ parts: 2, nest: 7 })],
    ['san-dns-two-parts-other-name', 'SAN dNSName in two parts, another name asked', 'leaf', san({ parts: 2 }), { hostname: 'www.b.test' }],
    ['san-extn-value', 'SAN extnValue OCTET STRING constructed', 'leaf', editExtension(OID.subjectAltName, extnValueConstructed)],
    ['leaf-akid-key-id', 'AKID keyIdentifier constructed, matching', 'leaf', akid((n) => constructedString(n, { parts: 4 }))],
    ['leaf-akid-key-id-mismatch', 'AKID keyIdentifier constructed, one octet changed', 'leaf', akid((n) => constructedString(flipLast(n), { parts: 4 }))],
    ['intermediate-akid-key-id', 'AKID keyIdentifier constructed, matching', 'intermediate', akid((n) => constructedString(n, { parts: 2, indefinite: true }))],
    ['intermediate-skid', 'SKID constructed, matching the leaf AKID', 'intermediate', skid((n) => constructedString(n, { parts: 4 }))],
    ['intermediate-skid-mismatch', 'SKID constructed, one octet changed', 'intermediate', skid((n) => constructedString(flipLast(n), { parts: 4 }))],
    ['root-skid', 'SKID constructed, matching the intermediate AKID', 'root', skid((n) => constructedString(n, { parts: 4, nest: 2 }))],
    ['leaf-key-usage', 'keyUsage BIT STRING constructed (one part)', 'leaf', keyUsage((n) => constructedString(n, { parts: 1 }))],
    ['intermediate-key-usage', 'keyUsage BIT STRING constructed (one part)', 'intermediate', keyUsage((n) => constructedString(n, { parts: 1 }))],
    ['intermediate-key-usage-split-content', 'keyUsage BIT STRING constructed, content split after the unused-bits octet', 'intermediate', keyUsage((n) => constructedString(n, { parts: 2 }))],
    // X.690 section 8.6.4 splits a BIT STRING into parts that each carry their own unused-bits octet; asn1_collect()
    // concatenates the parts' contents, so OpenSSL reads 00 01 06 (no keyCertSign) where X.690 reads 06/1.
    ['intermediate-key-usage-x690-parts', 'keyUsage BIT STRING in X.690 parts (each with its unused-bits octet)', 'intermediate', keyUsage((n) => ({ tag: 0x23, children: [{ tag: 0x03, content: Buffer.from([0]) }, { tag: 0x03, content: n.content! }] }))],
    ['root-key-usage', 'keyUsage BIT STRING constructed (one part)', 'root', keyUsage((n) => constructedString(n, { parts: 1 }))],
    ['intermediate-basic-constraints-extn-value', 'basicConstraints extnValue OCTET STRING constructed', 'intermediate', editExtension(OID.basicConstraints, extnValueConstructed)],
  ];
  for (const [name, description, position, edit, o] of variants) {
    const c = withEdited(chain(pki, optionsAt(position, o?.options ?? {})), position, edit);
    sink.add(`${F}/e-constructed/${name}`, `${position}: ${description}`, {
      trusted: [c.root],
      sent: c.sent,
      ...(o?.hostname ? { hostname: o.hostname } : {}),
    });
  }
}

const flipLast = (n: BerNode): BerNode => {
  const content = Buffer.from(n.content!);
  content[content.length - 1]! ^= 0x01;
  return { ...n, content };
};
const akid = (edit: (n: BerNode) => BerNode) => editExtension(OID.authorityKeyIdentifier, editValue((v) => editAt(v, [0], edit)));
const skid = (edit: (n: BerNode) => BerNode) => editExtension(OID.subjectKeyIdentifier, editValue(edit));
const keyUsage = (edit: (n: BerNode) => BerNode) => editExtension(OID.keyUsage, editValue(edit));

// ------------------------------------------------------------------------------------------------ f. malformed times

/** [name, notBefore text, notAfter text, tag]: both texts would be inside the default windows if they were read. */
const BAD_TIMES: Array<[string, string, string, number]> = [
  ['utc-empty', '', '', 0x17],
  ['utc-lone-z', 'Z', 'Z', 0x17],
  ['utc-11-digits', '25090100000Z', '36010100000Z', 0x17],
  ['utc-13-digits', '2509010000000Z', '3601010000000Z', 0x17],
  ['utc-letters', '2509010000x0Z', '3601010000x0Z', 0x17],
  ['utc-no-z', '250901000000', '360101000000', 0x17],
  ['utc-lowercase-z', '250901000000z', '360101000000z', 0x17],
  ['utc-trailing-digit', '250901000000Z0', '360101000000Z0', 0x17],
  ['utc-hour-24', '250901240000Z', '351231240000Z', 0x17],
  ['utc-second-60', '250901000060Z', '360101000060Z', 0x17],
  ['utc-feb-29-common-year', '250229000000Z', '330229000000Z', 0x17],
  ['utc-feb-29-leap-year', '240229000000Z', '320229000000Z', 0x17],
  ['utc-day-00', '250900000000Z', '360100000000Z', 0x17],
  ['gen-empty', '', '', 0x18],
  ['gen-utc-length', '250901000000Z', '360101000000Z', 0x18],
  ['gen-letters', '2025090100000xZ', '2036010100000xZ', 0x18],
  ['gen-minute-60', '20250901006000Z', '20360101006000Z', 0x18],
];

function malformedTimes(pki: Pki, sink: CaseSink): void {
  const raw = (tag: number, text: string): Buffer => tlv(tag, Buffer.from(text, 'latin1'));
  // The trust anchor's times are checked too (internal_verify: check_cert_time at every depth); a sample there.
  const atRoot = new Set(['utc-empty', 'utc-lone-z', 'utc-no-z', 'utc-second-60', 'gen-utc-length']);
  for (const position of POSITIONS) {
    for (const [name, notBefore, notAfter, tag] of BAD_TIMES) {
      if (position === 'root' && !atRoot.has(name)) continue;
      for (const field of ['notBefore', 'notAfter'] as const) {
        const options: CertOptions = field === 'notBefore' ? { rawNotBefore: raw(tag, notBefore) } : { rawNotAfter: raw(tag, notAfter) };
        const c = chain(pki, optionsAt(position, options));
        sink.add(`${F}/f-time/${position}-${field}-${name}`, `${position} ${field} ${JSON.stringify(field === 'notBefore' ? notBefore : notAfter)}`, {
          trusted: [c.root],
          sent: c.sent,
        });
      }
    }
  }
}

// ------------------------------------------------------------------------------------------------ g. many SANs

function manySans(pki: Pki, sink: CaseSink): void {
  const N = 2000;
  const names = Array.from({ length: N }, (_, i) => ({ dns: `h${i}.a.test` }));
  const wide = chain(pki, { leaf: { san: names } });
  for (const [name, hostname] of [
    ['first', 'h0.a.test'],
    ['middle', 'h1000.a.test'],
    ['last', `h${N - 1}.a.test`],
    ['absent', 'h2000.a.test'],
    ['cn-not-in-san', 'www.a.test'],
    ['upper-case', `H${N - 1}.A.TEST`],
  ] as const) {
    sink.add(`${F}/g-many-sans/${name}`, `leaf with ${N} SANs, name ${hostname}`, { trusted: [wide.root], sent: wide.sent, hostname });
  }
  const wildcard = chain(pki, { leaf: { san: [...names.slice(1), { dns: '*.b.test' }] } });
  sink.add(`${F}/g-many-sans/wildcard-last`, `leaf with ${N} SANs, the last *.b.test, name x.b.test`, {
    trusted: [wildcard.root],
    sent: wildcard.sent,
    hostname: 'x.b.test',
  });
  // Name constraints over the 2,000 names: checked, and refused past NAME_CHECK_MAX (1 << 20) name x constraint pairs
  // (crypto/x509/v3_ncons.c NAME_CONSTRAINTS_check: X509_V_ERR_UNSPECIFIED).
  const subtrees = (n: number, last: string) => [...Array.from({ length: n - 1 }, (_, i) => ({ dns: `n${i}.c.test` })), { dns: last }];
  for (const [name, permitted, leafNames] of [
    ['constrained-inside', subtrees(1, 'a.test'), names],
    ['constrained-one-outside', subtrees(1, 'a.test'), [...names.slice(1), { dns: 'h0.b.test' }]],
    ['constrained-500-subtrees', subtrees(500, 'a.test'), names],
    ['constrained-600-subtrees', subtrees(600, 'a.test'), names],
  ] as const) {
    const c = chain(pki, { ints: [{ nc: { permitted: [...permitted] } }], leaf: { san: [...leafNames] } });
    sink.add(`${F}/g-many-sans/${name}`, `leaf with ${leafNames.length} SANs under ${permitted.length} permitted subtrees`, {
      trusted: [c.root],
      sent: c.sent,
      hostname: 'h1.a.test',
    });
  }
}

// ------------------------------------------------------------------------------------------------ entry point

/** Builds every parity case (a second or two: EC keys only). */
export function generateParityCases(seed = DEFAULT_SEED ^ 0xa11): DifferentialCase[] {
  const serialRandom = seededRandom(seed);
  const nextSerial = (): bigint => {
    let s = 0n;
    for (let i = 0; i < 4; i++) s = (s << 16n) | BigInt(Math.floor(serialRandom() * 65536));
    return s | (1n << 62n);
  };
  const pki = new Pki(new KeyPool(), nextSerial, CLOCK);
  const sink = new CaseSink();
  emptyRdn(pki, sink);
  berIndefinite(pki, sink);
  berIndefiniteInValues(pki, sink);
  berIndefinitePrimitives(pki, sink);
  crlDistributionPoints(pki, sink);
  trailingBytes(pki, sink);
  constructedStrings(pki, sink);
  malformedTimes(pki, sink);
  manySans(pki, sink);
  return sink.cases;
}
