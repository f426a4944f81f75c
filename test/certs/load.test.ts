import { X509Certificate, webcrypto } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InputError, type InputErrorCode } from '../../src/certs/input-error.js';
import { readCertificateBlobs, readCertificateBlobsAsync, type CertificateBlobs } from '../../src/certs/load.js';
import { TestPki, hex, openssl, type TestCert } from './test-pki.js';

let pki: TestPki;
let root: TestCert;
let inter: TestCert;
let leaf: TestCert;
let other: TestCert;
/** The PEM bodies (base64 lines) of every private key used below: none may ever show up in output. */
const keyLines: string[] = [];

const enc = (s: string) => new Uint8Array(Buffer.from(s, 'latin1'));
const hexes = (r: CertificateBlobs) => r.ders.map(hex);

/** Runs `fn`, expects an InputError with `code`, returns it. */
async function inputError(fn: () => unknown, code: InputErrorCode): Promise<InputError> {
  let caught: unknown;
  try {
    await fn();
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(InputError);
  const e = caught as InputError;
  expect(e.code).toBe(code);
  expect(e.message).not.toMatch(/[\r\n]/);
  for (const line of keyLines) expect(e.message).not.toContain(line.slice(0, 20));
  return e;
}

function keyPem(args: string[], name: string): string {
  const path = join(pki.dir, name);
  openssl([args[0], '-out', path, ...args.slice(1)], pki.dir);
  const pem = readFileSync(path, 'latin1');
  keyLines.push(...pem.split('\n').filter((l) => l.length > 20 && !l.startsWith('-----')));
  return pem;
}

beforeAll(() => {
  pki = new TestPki();
  root = pki.root('Test Root');
  inter = pki.issue('Test Intermediate', root, { ca: true });
  leaf = pki.issue('leaf.test', inter, { ca: false });
  other = pki.root('Other Root');
  keyLines.push(...readFileSync(leaf.keyPath, 'latin1').split('\n').filter((l) => l.length > 20 && !l.startsWith('-----')));
});
afterAll(() => pki.cleanup());

describe('PEM', () => {
  it('reads every certificate in order and ignores `openssl x509 -text` output and comments between blocks', () => {
    const text =
      '# bundle for backend.internal\n' +
      [leaf, inter, root].map((c) => openssl(['x509', '-in', c.path, '-text'], pki.dir).toString('latin1')).join('\nsome note\n');
    expect(text).toContain('Signature Algorithm'); // really the -text form
    const r = readCertificateBlobs(enc(text), 'bundle.pem');
    expect(hexes(r)).toEqual([leaf, inter, root].map((c) => hex(c.der)));
    expect(r.privateKeys).toBe(0);
    expect(r.warnings).toEqual([]);
  });

  it('accepts CRLF, a UTF-8 BOM, trailing spaces and whitespace inside the base64', () => {
    const messy = [leaf, root]
      .map((c) =>
        c.pem
          .split('\n')
          .map((l) => (l.startsWith('-----') ? `${l}  \t` : `  ${l.slice(0, 10)} \t${l.slice(10)}`))
          .join('\r\n'),
      )
      .join('\r\n');
    const r = readCertificateBlobs(new Uint8Array([0xef, 0xbb, 0xbf, ...enc(messy)]), 'messy.pem');
    expect(hexes(r)).toEqual([hex(leaf.der), hex(root.der)]);
  });

  it('accepts the old `X509 CERTIFICATE` label', () => {
    const r = readCertificateBlobs(enc(leaf.pem.replaceAll(' CERTIFICATE-----', ' X509 CERTIFICATE-----')), 'old.pem');
    expect(hexes(r)).toEqual([hex(leaf.der)]);
  });

  it('keeps the certificate of a TRUSTED CERTIFICATE and warns when trust settings are dropped', () => {
    const withTrust = join(pki.dir, 'trusted.pem');
    openssl(['x509', '-in', root.path, '-addtrust', 'serverAuth', '-addreject', 'clientAuth', '-trustout', '-out', withTrust], pki.dir);
    const aliasOnly = join(pki.dir, 'alias.pem');
    openssl(['x509', '-in', root.path, '-setalias', 'just a name', '-trustout', '-out', aliasOnly], pki.dir);
    const a = readFileSync(withTrust, 'latin1');
    expect(a).toContain('BEGIN TRUSTED CERTIFICATE');

    const r = readCertificateBlobs(enc(a + inter.pem), 'trusted.pem');
    expect(hexes(r)).toEqual([hex(root.der), hex(inter.der)]);
    expect(r.warnings).toHaveLength(1);
    expect(r.warnings[0]).toMatch(/block 1 \(TRUSTED CERTIFICATE, line 1\).*trusted uses, rejected uses/);

    const b = readCertificateBlobs(enc(readFileSync(aliasOnly, 'latin1')), 'alias.pem');
    expect(hexes(b)).toEqual([hex(root.der)]);
    expect(b.warnings).toEqual([]);
  });

  it('reports a block with invalid base64 by number and line, on one line', async () => {
    const lines = (leaf.pem + root.pem + inter.pem).split('\n');
    const firstBody = lines.findIndex((l, i) => i > 0 && l.startsWith('-----BEGIN')) + 3; // 3rd base64 line of block 2
    lines[firstBody] = `${lines[firstBody].slice(0, 30)}!${lines[firstBody].slice(31)}`;
    const e = await inputError(() => readCertificateBlobs(enc(lines.join('\n')), 'bad.pem'), 'INPUT_MALFORMED_PEM');
    expect(e.message).toMatch(/^bad\.pem: block 2 \(CERTIFICATE, line \d+\): invalid base64 at line \d+$/);
    expect(e.message).toContain(`line ${firstBody + 1}`);
    expect(e.file).toBe('bad.pem');
  });

  it('rejects base64 that is not a certificate, and missing padding', async () => {
    const notCert = `-----BEGIN CERTIFICATE-----\n${Buffer.from('hello, world').toString('base64')}\n-----END CERTIFICATE-----\n`;
    const e = await inputError(() => readCertificateBlobs(enc(root.pem + notCert), 'x.pem'), 'INPUT_MALFORMED_DER');
    expect(e.message).toMatch(/block 2 \(CERTIFICATE, line \d+\): not an X\.509 certificate/);
    const unpadded = root.pem.replace(/=+\n-----END/, '\n-----END');
    if (unpadded !== root.pem) await inputError(() => readCertificateBlobs(enc(unpadded), 'x.pem'), 'INPUT_MALFORMED_PEM');
  });

  it('rejects a truncated file: no END line, or DER cut inside a block', async () => {
    const both = leaf.pem + root.pem;
    const cut = both.slice(0, both.length - 100);
    const e = await inputError(() => readCertificateBlobs(enc(cut), 'cut.pem'), 'INPUT_MALFORMED_PEM');
    expect(e.message).toMatch(/block 2 \(CERTIFICATE, line \d+\): no END line/);

    const lines = leaf.pem.split('\n');
    lines.splice(3, 1); // one whole 64-character line: valid base64, short DER
    const e2 = await inputError(() => readCertificateBlobs(enc(lines.join('\n')), 'short.pem'), 'INPUT_MALFORMED_DER');
    expect(e2.message).toMatch(/block 1 .*truncated/);
  });

  it('rejects a mismatched END line and a BEGIN inside a block', async () => {
    await inputError(() => readCertificateBlobs(enc(leaf.pem.replace('END CERTIFICATE', 'END X509 CRL')), 'm.pem'), 'INPUT_MALFORMED_PEM');
    const nested = leaf.pem.replace('-----END CERTIFICATE-----\n', '') + root.pem;
    const e = await inputError(() => readCertificateBlobs(enc(nested), 'n.pem'), 'INPUT_MALFORMED_PEM');
    expect(e.message).toMatch(/block 1 .*no END line before the next BEGIN line/);
  });

  it('needs BEGIN at the start of a line, as OpenSSL does', async () => {
    await inputError(() => readCertificateBlobs(enc(`junk${leaf.pem}`), 'j.pem'), 'INPUT_NOT_CERTIFICATE');
  });

  it('rejects empty and whitespace-only files', async () => {
    await inputError(() => readCertificateBlobs(new Uint8Array(0), 'empty.pem'), 'INPUT_EMPTY');
    await inputError(() => readCertificateBlobs(enc(' \r\n\t\n'), 'blank.pem'), 'INPUT_EMPTY');
  });

  it('rejects text with no block, and files holding only other PEM types', async () => {
    await inputError(() => readCertificateBlobs(enc('hello\nworld\n'), 't.txt'), 'INPUT_NOT_CERTIFICATE');
    const csr = readFileSync(join(pki.dir, 'leaf.test.csr'), 'latin1');
    const e = await inputError(() => readCertificateBlobs(enc(csr), 'req.pem'), 'INPUT_NOT_CERTIFICATE');
    expect(e.message).toContain('"CERTIFICATE REQUEST"');
    const r = readCertificateBlobs(enc(csr + leaf.pem), 'mixed.pem');
    expect(hexes(r)).toEqual([hex(leaf.der)]);
    expect(r.warnings).toEqual(['ignored 1 PEM block(s) that hold no certificate: block 1 (CERTIFICATE REQUEST, line 1)']);
  });

  it('counts private keys of every PEM kind and never returns or echoes them', async () => {
    const keys = [
      readFileSync(leaf.keyPath, 'latin1'), // PRIVATE KEY (PKCS#8)
      keyPem(['ecparam', '-name', 'prime256v1', '-genkey', '-noout'], 'ec.key'), // EC PRIVATE KEY
      keyPem(['genrsa', '-traditional', '1024'], 'rsa.key'), // RSA PRIVATE KEY
      keyPem(['pkcs8', '-topk8', '-in', leaf.keyPath, '-v2', 'aes-256-cbc', '-passout', 'pass:secret'], 'enc.key'), // ENCRYPTED PRIVATE KEY
    ];
    expect(keys.map((k) => k.split('\n')[0])).toEqual([
      '-----BEGIN PRIVATE KEY-----',
      '-----BEGIN EC PRIVATE KEY-----',
      '-----BEGIN RSA PRIVATE KEY-----',
      '-----BEGIN ENCRYPTED PRIVATE KEY-----',
    ]);
    for (const k of keys) {
      const e = await inputError(() => readCertificateBlobs(enc(k), 'server.key'), 'INPUT_ONLY_PRIVATE_KEY');
      expect(e.message).toBe('server.key: contains a private key and no certificate (the key was ignored and is never printed)');
    }
    const r = readCertificateBlobs(enc(keys.join('') + leaf.pem + keys[0]), 'combined.pem');
    expect(hexes(r)).toEqual([hex(leaf.der)]);
    expect(r.privateKeys).toBe(5);
    expect(r.warnings).toEqual([]); // the caller reports the count; no text about the key is produced here
  });

  it('keeps nothing of a broken private key block either', async () => {
    const secret = 'SECRETSECRETSECRETSECRET';
    const e = await inputError(() => readCertificateBlobs(enc(`${leaf.pem}-----BEGIN PRIVATE KEY-----\n${secret}\n`), 'k.pem'), 'INPUT_MALFORMED_PEM');
    expect(e.message).toBe('k.pem: block 2 (PRIVATE KEY, line 12): no END line (the file is truncated?)'.replace('12', String(leaf.pem.split('\n').length)));
    // A key block with garbage inside is still only counted: its content is never decoded.
    const r = readCertificateBlobs(enc(`-----BEGIN RSA PRIVATE KEY-----\n${secret}!!\n-----END RSA PRIVATE KEY-----\n${leaf.pem}`), 'k.pem');
    expect(hexes(r)).toEqual([hex(leaf.der)]);
    expect(r.privateKeys).toBe(1);
    expect(JSON.stringify(r.warnings)).not.toContain(secret);
  });

  it('reads a 5,000-certificate bundle', () => {
    const pems = [leaf, inter, root, other].map((c) => c.pem);
    const bundle = Array.from({ length: 5000 }, (_, i) => `# cert ${i}\n${pems[i % 4]}`).join('');
    const r = readCertificateBlobs(enc(bundle), 'big.pem');
    expect(r.ders).toHaveLength(5000);
    expect(hex(r.ders[4999])).toBe(hex(other.der));
  });

  it('enforces the certificate-count cap (default 10,000) and the byte cap (default 16 MiB)', async () => {
    await inputError(() => readCertificateBlobs(enc(leaf.pem.repeat(3)), 'three.pem', { maxCertificates: 2 }), 'INPUT_TOO_MANY_CERTIFICATES');
    expect(readCertificateBlobs(enc(leaf.pem.repeat(10_000)), 'ok.pem').ders).toHaveLength(10_000);
    const e = await inputError(() => readCertificateBlobs(enc(leaf.pem.repeat(10_001)), 'many.pem'), 'INPUT_TOO_MANY_CERTIFICATES');
    expect(e.message).toBe('many.pem: more than 10000 certificates');
    await inputError(() => readCertificateBlobs(enc(leaf.pem), 'small.pem', { maxBytes: 100 }), 'INPUT_TOO_LARGE');
    await inputError(() => readCertificateBlobs(new Uint8Array(16 * 1024 * 1024 + 1), 'huge.bin'), 'INPUT_TOO_LARGE');
  });

  it('returns blobs that own their memory', () => {
    for (const d of readCertificateBlobs(enc(leaf.pem + root.pem), 'x.pem').ders) {
      expect(d.byteOffset).toBe(0);
      expect(d.buffer.byteLength).toBe(d.length);
    }
  });
});

describe('DER', () => {
  it('reads a single DER certificate', () => {
    const input = new Uint8Array(leaf.der);
    const r = readCertificateBlobs(input, 'leaf.der');
    expect(hexes(r)).toEqual([hex(leaf.der)]);
    input.fill(0); // the result is a copy
    expect(hex(r.ders[0])).toBe(hex(leaf.der));
  });

  it('rejects truncated DER and trailing bytes', async () => {
    const e = await inputError(() => readCertificateBlobs(leaf.der.slice(0, leaf.der.length - 10), 'cut.der'), 'INPUT_MALFORMED_DER');
    expect(e.message).toMatch(/^cut\.der: is not valid DER: truncated/);
    const e2 = await inputError(() => readCertificateBlobs(new Uint8Array([...leaf.der, 1, 2, 3]), 'tail.der'), 'INPUT_MALFORMED_DER');
    expect(e2.message).toContain('3 bytes of trailing data');
  });

  it('counts a DER private key, and names PKCS#12 and CSRs', async () => {
    const p8 = new Uint8Array(openssl(['pkey', '-in', leaf.keyPath, '-outform', 'DER'], pki.dir));
    await inputError(() => readCertificateBlobs(p8, 'key.der'), 'INPUT_ONLY_PRIVATE_KEY');
    openssl(['genrsa', '-traditional', '-out', 'rsa-der.key', '1024'], pki.dir);
    const rsa = new Uint8Array(openssl(['rsa', '-in', 'rsa-der.key', '-outform', 'DER', '-traditional'], pki.dir));
    await inputError(() => readCertificateBlobs(rsa, 'rsa.der'), 'INPUT_ONLY_PRIVATE_KEY');

    const p12 = new Uint8Array(openssl(['pkcs12', '-export', '-in', leaf.path, '-inkey', leaf.keyPath, '-passout', 'pass:x'], pki.dir));
    const e = await inputError(() => readCertificateBlobs(p12, 'id.p12'), 'INPUT_NOT_CERTIFICATE');
    expect(e.message).toContain('PKCS#12');
    const csr = new Uint8Array(openssl(['req', '-in', join(pki.dir, 'leaf.test.csr'), '-outform', 'DER'], pki.dir));
    expect((await inputError(() => readCertificateBlobs(csr, 'r.der'), 'INPUT_NOT_CERTIFICATE')).message).toContain('signing request');
  });

  it('rejects binary that is neither PEM nor DER', async () => {
    await inputError(() => readCertificateBlobs(new Uint8Array([0x01, 0x02, 0xff, 0x00]), 'x.bin'), 'INPUT_NOT_CERTIFICATE');
    await inputError(() => readCertificateBlobs(new Uint8Array([0x30, 0x84, 0xff, 0xff, 0xff, 0xff]), 'x.bin'), 'INPUT_MALFORMED_DER');
  });
});

describe('PKCS#7', () => {
  let p7pem: string;
  let p7der: Uint8Array;
  beforeAll(() => {
    const chain = pki.file('chain.pem', leaf.pem + inter.pem + root.pem);
    p7pem = openssl(['crl2pkcs7', '-nocrl', '-certfile', chain], pki.dir).toString('latin1');
    p7der = new Uint8Array(openssl(['crl2pkcs7', '-nocrl', '-certfile', chain, '-outform', 'DER'], pki.dir));
  });

  it('reads the certificates of PEM and DER PKCS#7 (openssl crl2pkcs7), in order, byte for byte', async () => {
    expect(p7pem).toContain('-----BEGIN PKCS7-----');
    const want = [leaf, inter, root].map((c) => hex(c.der));
    expect(hexes(await readCertificateBlobsAsync(enc(p7pem), 'chain.p7b'))).toEqual(want);
    expect(hexes(await readCertificateBlobsAsync(p7der, 'chain.p7c'))).toEqual(want);
    // PKCS#7 and plain blocks in one file keep file order.
    expect(hexes(await readCertificateBlobsAsync(enc(other.pem + p7pem), 'mixed.pem'))).toEqual([hex(other.der), ...want]);
  });

  it('reads PEM and DER through the async reader too', async () => {
    expect(hexes(await readCertificateBlobsAsync(enc(leaf.pem), 'a.pem'))).toEqual([hex(leaf.der)]);
    expect(hexes(await readCertificateBlobsAsync(leaf.der, 'a.der'))).toEqual([hex(leaf.der)]);
  });

  it('sends PKCS#7 from the synchronous reader to the asynchronous one', async () => {
    const e = await inputError(() => readCertificateBlobs(p7der, 'chain.p7c'), 'INPUT_PKCS7_NEEDS_ASYNC');
    expect(e.message).toBe('chain.p7c: the DER PKCS#7 file is PKCS#7: it needs the asynchronous reader');
  });

  it('rejects an empty SignedData, other content types and broken PKCS#7', async () => {
    const empty = openssl(['crl2pkcs7', '-nocrl', '-certfile', '/dev/null'], pki.dir).toString('latin1');
    const e = await inputError(() => readCertificateBlobsAsync(enc(empty), 'empty.p7b'), 'INPUT_NOT_CERTIFICATE');
    expect(e.message).toContain('PKCS#7');
    // ContentInfo { id-data, [0] OCTET STRING "" }
    const data = new Uint8Array([0x30, 0x0f, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x01, 0xa0, 0x02, 0x04, 0x00]);
    expect((await inputError(() => readCertificateBlobsAsync(data, 'd.p7'), 'INPUT_MALFORMED_PKCS7')).message).toContain('not signedData');
    // signerInfos SET's length byte (the last-but-one byte) made to overrun: pkijs/asn1js must refuse it.
    const broken = new Uint8Array(p7der);
    expect(hex(broken.slice(-2))).toBe('3100');
    broken[broken.length - 1] = 0x7f;
    await inputError(() => readCertificateBlobsAsync(broken, 'b.p7'), 'INPUT_MALFORMED_PKCS7');
  });

  it('refuses a PKCS#7 too big for pkijs, with a way out', async () => {
    const many = pki.file('many.pem', leaf.pem.repeat(4000));
    const huge = new Uint8Array(openssl(['crl2pkcs7', '-nocrl', '-certfile', many, '-outform', 'DER'], pki.dir));
    const e = await inputError(() => readCertificateBlobsAsync(huge, 'many.p7b'), 'INPUT_TOO_LARGE');
    expect(e.message).toContain('openssl pkcs7 -print_certs');
  });

  it('survives absurdly deep BER nesting with an error, not a crash', async () => {
    const head = [0x30, 0x80, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x02, 0xa0, 0x80];
    const deep = new Uint8Array([...head, ...new Array(200_000).fill([0x30, 0x80]).flat()]);
    await inputError(() => readCertificateBlobsAsync(deep, 'deep.p7'), 'INPUT_MALFORMED_PKCS7');
  });
});

describe('hostile input', () => {
  let big: Uint8Array;
  beforeAll(async () => {
    await import('reflect-metadata');
    const x509 = await import('@peculiar/x509');
    x509.cryptoProvider.set(webcrypto as unknown as Crypto);
    const alg = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };
    const keys = await webcrypto.subtle.generateKey(alg, false, ['sign', 'verify']);
    const cert = await x509.X509CertificateGenerator.createSelfSigned({
      serialNumber: '01',
      name: 'CN=big extension',
      notBefore: new Date('2025-01-01T00:00:00Z'),
      notAfter: new Date('2035-01-01T00:00:00Z'),
      signingAlgorithm: alg,
      keys: keys as CryptoKeyPair,
      extensions: [new x509.Extension('1.3.6.1.4.1.99999.1', false, new Uint8Array(1 << 20).fill(0x41))],
    });
    big = new Uint8Array(cert.rawData);
  });

  it('reads a certificate with a 1 MB extension, as DER and PEM', () => {
    expect(big.length).toBeGreaterThan(1 << 20);
    expect(new X509Certificate(big).subject).toBe('CN=big extension'); // OpenSSL agrees it is a certificate
    expect(hexes(readCertificateBlobs(big, 'big.der'))).toEqual([hex(big)]);
    const pem = `-----BEGIN CERTIFICATE-----\n${Buffer.from(big).toString('base64').replace(/.{64}/g, '$&\n')}\n-----END CERTIFICATE-----\n`;
    expect(hexes(readCertificateBlobs(enc(pem), 'big.pem'))).toEqual([hex(big)]);
  });

  it('rejects the same certificate cut inside the extension or with a lying length', async () => {
    await inputError(() => readCertificateBlobs(big.slice(0, 600_000), 'cut.der'), 'INPUT_MALFORMED_DER');
    const liar = new Uint8Array(big);
    expect(liar[1]).toBe(0x83); // outer SEQUENCE, 3-byte length
    liar[2] ^= 0x40;
    await inputError(() => readCertificateBlobs(liar, 'liar.der'), 'INPUT_MALFORMED_DER');
  });

  it('returns or throws an InputError for random and mutated input, never anything else', async () => {
    let seed = 42;
    const rand = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
    const bases = [leaf.der, enc(leaf.pem + root.pem), p7(), enc(readFileSync(leaf.keyPath, 'latin1'))];
    const outcomes = new Set<string>();
    for (let i = 0; i < 600; i++) {
      let input: Uint8Array;
      if (i % 3 === 0) {
        input = Uint8Array.from({ length: Math.floor(rand() * 400) }, () => Math.floor(rand() * 256));
        if (i % 2 === 0 && input.length > 0) input[0] = 0x30;
      } else {
        input = new Uint8Array(bases[i % bases.length]);
        for (let k = 0; k < 1 + Math.floor(rand() * 4); k++) input[Math.floor(rand() * input.length)] = Math.floor(rand() * 256);
      }
      try {
        await readCertificateBlobsAsync(input, `fuzz-${i}`);
        outcomes.add('ok');
      } catch (err) {
        if (!(err instanceof InputError)) throw new Error(`case ${i}: ${String(err)}`);
        expect(err.message).not.toMatch(/[\r\n]/);
        outcomes.add(err.code);
      }
    }
    expect(outcomes.size).toBeGreaterThan(3); // the fuzzing reaches several outcomes, not one early exit
  });

  function p7(): Uint8Array {
    const chain = pki.file('fuzz-chain.pem', leaf.pem + root.pem);
    return new Uint8Array(openssl(['crl2pkcs7', '-nocrl', '-certfile', chain, '-outform', 'DER'], pki.dir));
  }
});
