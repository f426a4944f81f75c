/**
 * Generates the fixture PKI (certs-fixtures/pki/*.pem) and certs-fixtures/manifest.json.
 *
 *   npm run fixtures        (= node --import tsx certs-fixtures/generate.ts)
 *
 * Deterministic in structure (names, serials, extensions, validity windows, file set); keys are fresh on every
 * run. Re-running replaces every *.pem in pki/ (stale files are removed) and the manifest.
 * Validity is relative to FIXTURE_CLOCK (clock.ts), never to the time of generation.
 */
import 'reflect-metadata';
import { webcrypto } from 'node:crypto';
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as x509 from '@peculiar/x509';
import { FIXTURE_CLOCK, validityWindow, type ValidityClass } from './clock.js';
import type { FileKind, FixtureFile, Manifest } from './manifest-types.js';
import { SCENARIOS } from './scenarios.js';

const subtle = webcrypto.subtle;
// @peculiar/x509 defaults to globalThis.crypto; set it explicitly so the generator does not depend on it.
x509.cryptoProvider.set(webcrypto as unknown as Crypto);

const HERE = dirname(fileURLToPath(import.meta.url));
const PKI_DIR = join(HERE, 'pki');
const MANIFEST = join(HERE, 'manifest.json');

type KeyAlgorithm = 'P-256' | 'RSA-2048' | 'RSA-1024';

interface CertSpec {
  file: string; // `<base>.pem`; the key goes to `<base>.key.pem`
  kind: Exclude<FileKind, 'bundle'>;
  cn: string;
  /** File of the issuing certificate, or 'self'. Issuers come earlier in PKI. */
  issuer: string | 'self';
  key: KeyAlgorithm;
  validity: ValidityClass;
  /** Sign with SHA-1 (the issuer must have an RSA key: sha1WithRSAEncryption). */
  sha1?: boolean;
  dns?: string[];
  ip?: string[];
  eku?: ('serverAuth' | 'clientAuth')[];
  /**
   * Leave out keyUsage. Used for the self-signed leaf: OpenSSL 3.0's X509_check_issued(x, x) refuses a
   * self-issued cert whose keyUsage lacks keyCertSign (ossl_x509_signing_allowed), which would turn
   * "18: self-signed certificate" into a different error. `openssl req -x509` leaves also lack it.
   */
  noKeyUsage?: boolean;
}

const SERVER: CertSpec['eku'] = ['serverAuth'];
const DEFAULT_DNS = ['localhost', 'upstream.test'];

/** The PKI, issuers before what they issue. README.md draws the tree. */
const PKI: CertSpec[] = [
  // CAs. Root and Intermediate CA are RSA so that a SHA-1 signature can be sha1WithRSAEncryption.
  { file: 'root.pem', kind: 'root', cn: 'tlsdoctor Test Root CA', issuer: 'self', key: 'RSA-2048', validity: 'valid' },
  { file: 'int1.pem', kind: 'intermediate', cn: 'tlsdoctor Test Intermediate CA', issuer: 'root.pem', key: 'RSA-2048', validity: 'valid' },
  { file: 'int2.pem', kind: 'intermediate', cn: 'tlsdoctor Test Issuing CA 2', issuer: 'int1.pem', key: 'P-256', validity: 'valid' },
  { file: 'int-expired.pem', kind: 'intermediate', cn: 'tlsdoctor Test Expired Intermediate CA', issuer: 'root.pem', key: 'P-256', validity: 'expired' },
  { file: 'other-root.pem', kind: 'root', cn: 'tlsdoctor Other Root CA', issuer: 'self', key: 'P-256', validity: 'valid' },
  { file: 'other-int.pem', kind: 'intermediate', cn: 'tlsdoctor Other Intermediate CA', issuer: 'other-root.pem', key: 'P-256', validity: 'valid' },
  { file: 'client-ca.pem', kind: 'root', cn: 'tlsdoctor Client CA', issuer: 'self', key: 'P-256', validity: 'valid' },

  // Server leaves.
  { file: 'leaf.pem', kind: 'leaf', cn: 'upstream.test', issuer: 'int1.pem', key: 'P-256', validity: 'valid', dns: DEFAULT_DNS, eku: SERVER },
  { file: 'leaf-int2.pem', kind: 'leaf', cn: 'upstream.test', issuer: 'int2.pem', key: 'P-256', validity: 'valid', dns: DEFAULT_DNS, eku: SERVER },
  { file: 'leaf-other-ca.pem', kind: 'leaf', cn: 'upstream.test', issuer: 'other-int.pem', key: 'P-256', validity: 'valid', dns: DEFAULT_DNS, eku: SERVER },
  { file: 'leaf-self-signed.pem', kind: 'leaf', cn: 'upstream.test', issuer: 'self', key: 'P-256', validity: 'valid', dns: DEFAULT_DNS, eku: SERVER, noKeyUsage: true },
  { file: 'leaf-expired.pem', kind: 'leaf', cn: 'upstream.test', issuer: 'int1.pem', key: 'P-256', validity: 'expired', dns: DEFAULT_DNS, eku: SERVER },
  { file: 'leaf-not-yet-valid.pem', kind: 'leaf', cn: 'upstream.test', issuer: 'int1.pem', key: 'P-256', validity: 'not-yet-valid', dns: DEFAULT_DNS, eku: SERVER },
  { file: 'leaf-under-expired-int.pem', kind: 'leaf', cn: 'upstream.test', issuer: 'int-expired.pem', key: 'P-256', validity: 'valid', dns: DEFAULT_DNS, eku: SERVER },
  { file: 'leaf-client-eku.pem', kind: 'leaf', cn: 'upstream.test', issuer: 'int1.pem', key: 'P-256', validity: 'valid', dns: DEFAULT_DNS, eku: ['clientAuth'] },
  { file: 'leaf-sha1.pem', kind: 'leaf', cn: 'upstream.test', issuer: 'int1.pem', key: 'P-256', validity: 'valid', dns: DEFAULT_DNS, eku: SERVER, sha1: true },
  { file: 'leaf-rsa1024.pem', kind: 'leaf', cn: 'upstream.test', issuer: 'int1.pem', key: 'RSA-1024', validity: 'valid', dns: DEFAULT_DNS, eku: SERVER },
  { file: 'leaf-ip-san.pem', kind: 'leaf', cn: 'upstream.test', issuer: 'int1.pem', key: 'P-256', validity: 'valid', dns: DEFAULT_DNS, ip: ['127.0.0.1', '::1'], eku: SERVER },
  { file: 'leaf-dns-ip-string.pem', kind: 'leaf', cn: 'upstream.test', issuer: 'int1.pem', key: 'P-256', validity: 'valid', dns: [...DEFAULT_DNS, '127.0.0.1'], eku: SERVER },
  { file: 'leaf-cn-only.pem', kind: 'leaf', cn: 'upstream.test', issuer: 'int1.pem', key: 'P-256', validity: 'valid', eku: SERVER },
  { file: 'leaf-wildcard.pem', kind: 'leaf', cn: '*.example.test', issuer: 'int1.pem', key: 'P-256', validity: 'valid', dns: ['*.example.test'], eku: SERVER },
  { file: 'leaf-default-vhost.pem', kind: 'leaf', cn: 'default.test', issuer: 'int1.pem', key: 'P-256', validity: 'valid', dns: ['default.test'], eku: SERVER },

  // Client certificates (proxy_ssl_certificate).
  { file: 'client.pem', kind: 'client', cn: 'tlsdoctor client', issuer: 'client-ca.pem', key: 'P-256', validity: 'valid', eku: ['clientAuth'] },
  { file: 'client-other.pem', kind: 'client', cn: 'tlsdoctor other client', issuer: 'other-root.pem', key: 'P-256', validity: 'valid', eku: ['clientAuth'] },
];

const BENCH_BUNDLE = 'bundle-150-roots.pem';
const BENCH_ROOTS = 150;
const ORG = 'tlsdoctor fixtures';
/** Never resolvable (RFC 2606 reserves .invalid): committed certs cannot know a live AIA server's port. */
const AIA_BASE = 'http://aia.invalid/';

const EKU_OID = { serverAuth: x509.ExtendedKeyUsage.serverAuth, clientAuth: x509.ExtendedKeyUsage.clientAuth };

interface Issued {
  spec: CertSpec;
  cert: x509.X509Certificate;
  keys: CryptoKeyPair;
  pkcs8: ArrayBuffer;
}

function keyFileOf(file: string): string {
  return file.replace(/\.pem$/, '.key.pem');
}

async function generateKeys(alg: KeyAlgorithm): Promise<CryptoKeyPair> {
  if (alg === 'P-256') {
    return subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign', 'verify']) as Promise<CryptoKeyPair>;
  }
  const modulusLength = alg === 'RSA-2048' ? 2048 : 1024;
  return subtle.generateKey(
    { name: 'RSASSA-PKCS1-v1_5', modulusLength, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' },
    true,
    ['sign', 'verify'],
  ) as Promise<CryptoKeyPair>;
}

/**
 * @peculiar/x509 takes the signature algorithm from the signing key (`signingKey.algorithm` wins over
 * `signingAlgorithm`), so a SHA-1 signature needs the issuer's RSA key re-imported with hash SHA-1.
 */
async function signingKeyFor(issuer: Issued, sha1: boolean): Promise<CryptoKey> {
  if (!sha1) return issuer.keys.privateKey;
  if (issuer.spec.key === 'P-256') throw new Error(`${issuer.spec.file}: SHA-1 fixtures need an RSA issuer`);
  return subtle.importKey('pkcs8', issuer.pkcs8, { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-1' }, false, ['sign']);
}

function serialFor(index: number, prefix: string): string {
  // Fixed per position: re-generated files keep their serials. Leading 01/02 keeps the INTEGER positive.
  return prefix + index.toString(16).padStart(4, '0');
}

function pemWrap(label: string, der: ArrayBuffer): string {
  const b64 = Buffer.from(der).toString('base64');
  const lines = b64.match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}

async function issue(spec: CertSpec, index: number, issued: Map<string, Issued>): Promise<Issued> {
  const keys = await generateKeys(spec.key);
  const selfSigned = spec.issuer === 'self';
  const issuer = selfSigned ? undefined : issued.get(spec.issuer);
  if (!selfSigned && !issuer) throw new Error(`${spec.file}: issuer ${spec.issuer} must come earlier in PKI`);
  const isCa = spec.kind === 'root' || spec.kind === 'intermediate';
  const subject = `CN=${spec.cn}, O=${ORG}`;

  const extensions: x509.Extension[] = [new x509.BasicConstraintsExtension(isCa, undefined, true)];
  if (isCa) {
    extensions.push(new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true));
  } else if (!spec.noKeyUsage) {
    const ku =
      spec.key === 'P-256'
        ? x509.KeyUsageFlags.digitalSignature
        : x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment;
    extensions.push(new x509.KeyUsagesExtension(ku, true));
  }
  if (spec.eku) extensions.push(new x509.ExtendedKeyUsageExtension(spec.eku.map((e) => EKU_OID[e]), false));
  const san = [
    ...(spec.dns ?? []).map((value) => ({ type: 'dns' as const, value })),
    ...(spec.ip ?? []).map((value) => ({ type: 'ip' as const, value })),
  ];
  if (san.length > 0) extensions.push(new x509.SubjectAlternativeNameExtension(san, false));
  extensions.push(await x509.SubjectKeyIdentifierExtension.create(keys.publicKey));
  extensions.push(await x509.AuthorityKeyIdentifierExtension.create(issuer ? issuer.keys.publicKey : keys.publicKey));
  if (issuer) {
    extensions.push(new x509.AuthorityInfoAccessExtension({ caIssuers: aiaUrl(issuer.spec.file) }));
  }

  const { notBefore, notAfter } = validityWindow(spec.validity);
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serialFor(index, '01'),
    subject,
    // The issuer's Name object, not its string: the issuer field must be the same DER as the issuer's subject.
    issuer: issuer ? issuer.cert.subjectName : subject,
    notBefore,
    notAfter,
    publicKey: keys.publicKey,
    signingKey: issuer ? await signingKeyFor(issuer, spec.sha1 === true) : keys.privateKey,
    extensions,
  });
  const pkcs8 = (await subtle.exportKey('pkcs8', keys.privateKey)) as ArrayBuffer;
  return { spec, cert, keys, pkcs8 };
}

function aiaUrl(issuerFile: string): string {
  return AIA_BASE + issuerFile.replace(/\.pem$/, '.der');
}

function signatureName(spec: CertSpec, issuerKey: KeyAlgorithm): FixtureFile['signature'] {
  if (issuerKey === 'P-256') return 'ecdsa-with-SHA256';
  return spec.sha1 ? 'sha1WithRSAEncryption' : 'sha256WithRSAEncryption';
}

function describe(it: Issued, specs: Map<string, CertSpec>): FixtureFile {
  const { spec, cert } = it;
  const issuerKey = spec.issuer === 'self' ? spec.key : specs.get(spec.issuer)!.key;
  const entry: FixtureFile = {
    kind: spec.kind,
    subject: `CN=${spec.cn},O=${ORG}`,
    issuer: spec.issuer === 'self' ? spec.file : spec.issuer,
    key: keyFileOf(spec.file),
    keyAlgorithm: spec.key,
    signature: signatureName(spec, issuerKey),
    validity: spec.validity,
    notBefore: cert.notBefore.toISOString(),
    notAfter: cert.notAfter.toISOString(),
    isCa: spec.kind === 'root' || spec.kind === 'intermediate',
    dnsNames: spec.dns ?? [],
    ipAddresses: spec.ip ?? [],
    eku: spec.eku ?? [],
    count: 1,
  };
  if (spec.issuer !== 'self') entry.aiaCaIssuers = aiaUrl(spec.issuer);
  return entry;
}

/** 150 unrelated self-signed P-256 roots, then the test root last (the worst case for a linear search). */
async function benchBundle(root: Issued): Promise<string> {
  const { notBefore, notAfter } = validityWindow('valid');
  const pems = await Promise.all(
    Array.from({ length: BENCH_ROOTS }, async (_, i) => {
      const keys = await generateKeys('P-256');
      const name = `CN=tlsdoctor Bench Root ${String(i + 1).padStart(3, '0')}, O=${ORG}`;
      const cert = await x509.X509CertificateGenerator.createSelfSigned({
        serialNumber: serialFor(i, '02'),
        name,
        notBefore,
        notAfter,
        keys,
        signingAlgorithm: { name: 'ECDSA', hash: 'SHA-256' } as EcdsaParams,
        extensions: [
          new x509.BasicConstraintsExtension(true, undefined, true),
          new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
          await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
        ],
      });
      return cert.toString('pem') + '\n';
    }),
  );
  return pems.join('') + root.cert.toString('pem') + '\n';
}

export async function generate(): Promise<Manifest> {
  mkdirSync(PKI_DIR, { recursive: true });
  for (const f of readdirSync(PKI_DIR)) if (f.endsWith('.pem')) rmSync(join(PKI_DIR, f));

  const specs = new Map(PKI.map((s) => [s.file, s]));
  const issued = new Map<string, Issued>();
  // Issue level by level: everything whose issuer exists is generated concurrently.
  let pending = PKI.map((spec, index) => ({ spec, index }));
  while (pending.length > 0) {
    const ready = pending.filter(({ spec }) => spec.issuer === 'self' || issued.has(spec.issuer));
    if (ready.length === 0) throw new Error(`unresolvable issuers: ${pending.map((p) => p.spec.file).join(', ')}`);
    const done = await Promise.all(ready.map(({ spec, index }) => issue(spec, index, issued)));
    for (const it of done) issued.set(it.spec.file, it);
    pending = pending.filter((p) => !issued.has(p.spec.file));
  }

  const files: Record<string, FixtureFile> = {};
  for (const spec of PKI) {
    const it = issued.get(spec.file)!;
    writeFileSync(join(PKI_DIR, spec.file), it.cert.toString('pem') + '\n');
    writeFileSync(join(PKI_DIR, keyFileOf(spec.file)), pemWrap('PRIVATE KEY', it.pkcs8));
    files[spec.file] = describe(it, specs);
  }

  const root = issued.get('root.pem')!;
  writeFileSync(join(PKI_DIR, BENCH_BUNDLE), await benchBundle(root));
  const { notBefore, notAfter } = validityWindow('valid');
  files[BENCH_BUNDLE] = {
    kind: 'bundle',
    subject: `${BENCH_ROOTS} self-signed "tlsdoctor Bench Root NNN" P-256 roots, then tlsdoctor Test Root CA`,
    issuer: BENCH_BUNDLE,
    keyAlgorithm: 'P-256',
    signature: 'ecdsa-with-SHA256',
    validity: 'valid',
    notBefore: notBefore.toISOString(),
    notAfter: notAfter.toISOString(),
    isCa: true,
    dnsNames: [],
    ipAddresses: [],
    eku: [],
    count: BENCH_ROOTS + 1,
  };

  checkScenarioFiles(files);
  const manifest: Manifest = {
    schemaVersion: 1,
    clock: FIXTURE_CLOCK.toISOString(),
    pkiDir: 'pki',
    files,
    scenarios: SCENARIOS,
  };
  writeFileSync(MANIFEST, JSON.stringify(manifest, null, 2) + '\n');
  return manifest;
}

/** Fail the generation, not a test run later, when a scenario names a file the PKI does not produce. */
function checkScenarioFiles(files: Record<string, FixtureFile>): void {
  const known = new Set<string>();
  for (const [file, entry] of Object.entries(files)) {
    known.add(file);
    if (entry.key) known.add(entry.key);
  }
  for (const s of SCENARIOS) {
    const named = [
      ...(s.serve ?? []),
      ...(s.key ? [s.key] : []),
      ...s.trusted,
      ...Object.values(s.sniCerts ?? {}).flatMap((c) => [...c.serve, c.key]),
      ...(s.clientAuth?.mode === 'required' ? [s.clientAuth.ca] : []),
      ...(s.clientCert ? [s.clientCert.cert, s.clientCert.key] : []),
    ];
    for (const f of named) if (!known.has(f)) throw new Error(`scenario ${s.id}: unknown file ${f}`);
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const started = Date.now();
  const manifest = await generate();
  console.log(
    `wrote ${Object.keys(manifest.files).length} certificate files (+ keys) to ${PKI_DIR} and ` +
      `${manifest.scenarios.length} scenarios to ${MANIFEST} in ${Date.now() - started} ms`,
  );
}
