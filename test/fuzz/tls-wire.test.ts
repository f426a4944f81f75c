/**
 * Fuzzing the probe's wire reader (src/probe/wire-transcript.ts and the record/handshake parsers under it)
 * with mutated server flights: the bytes a hostile upstream controls completely. pushServer documents no
 * exception (a flight it cannot follow becomes a `problems` entry), so any exception is a crash, and so is a
 * problem that is a JavaScript error rather than a wire-format one (the transcript turns every exception from
 * a parser into a problem string, which would hide a TypeError).
 *
 * Seeds: a TLS 1.2 flight built from the fixture chain (ServerHello, Certificate, CertificateRequest with CA
 * names, ServerHelloDone) sent in plaintext, and the RFC 8448 §3 TLS 1.3 flight, re-encrypted after mutation
 * under the RFC's server handshake key so that the mutations reach the parsers behind the decryption.
 */
import { createCipheriv } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { DerReader } from '../../src/certs/der.js';
import { WireTranscript } from '../../src/probe/wire-transcript.js';
import { plaintextRecord, RFC8448 } from '../probe/rfc8448-vectors.js';
import { BYTE_MUTATORS, failureReport, fuzz, mutateBytes, previewBytes, type Rng } from './fuzz-kit.js';
import { certDers } from './seeds.js';

const LIMITS = { maxCertificates: 100, maxMessageBytes: 1 << 20 };
const u24 = (n: number) => [(n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff];
const message = (type: number, body: Uint8Array) => Buffer.concat([Buffer.from([type, ...u24(body.length)]), body]);

/** A TLS 1.2 server flight, as handshake messages (not yet in records). */
function tls12Flight(): Buffer {
  const ders = certDers().slice(0, 3);
  const hello = Buffer.from([3, 3, ...Array<number>(32).fill(7), 0, 0xc0, 0x2b, 0, 0, 5, 0xff, 0x01, 0, 1, 0]);
  const list = Buffer.concat(ders.map((d) => Buffer.concat([Buffer.from(u24(d.length)), d])));
  const certificate = Buffer.concat([Buffer.from(u24(list.length)), list]);
  // CertificateRequest (RFC 5246 §7.4.4): types, signature algorithms, certificate_authorities (DER Names).
  const names = Buffer.concat(ders.map((d) => issuerNameOf(d)).map((n) => Buffer.concat([Buffer.from([n.length >> 8, n.length & 0xff]), n])));
  const request = Buffer.concat([Buffer.from([1, 1, 0, 2, 4, 3, names.length >> 8, names.length & 0xff]), names]);
  return Buffer.concat([message(2, hello), message(11, certificate), message(13, request), message(14, Buffer.alloc(0))]);
}

/** The issuer Name of a certificate: after the optional [0] version, the serial and the signature algorithm. */
function issuerNameOf(der: Uint8Array): Buffer {
  const r = new DerReader(der);
  const tbs = r.children(r.children(r.root())[0]);
  return Buffer.from(r.whole(tbs[(tbs[0].tag === 0xa0 ? 1 : 0) + 2]));
}

/** Splits handshake bytes into plaintext records of random sizes (a message may span records). */
function intoRecords(rng: Rng, bytes: Uint8Array): Buffer {
  const out: Buffer[] = [];
  for (let at = 0; at < bytes.length || out.length === 0; ) {
    const n = rng.chance(0.7) ? bytes.length - at : 1 + rng.int(Math.max(1, bytes.length - at));
    out.push(plaintextRecord(22, bytes.subarray(at, at + n)));
    at += n;
  }
  return Buffer.concat(out);
}

/** One TLS 1.3 record protected with the RFC 8448 server handshake key (AES-128-GCM, RFC 8446 §5.2). */
function protect(seq: number, type: number, inner: Uint8Array): Buffer {
  const plain = Buffer.concat([inner, Buffer.from([type])]);
  const length = plain.length + 16;
  const header = Buffer.from([23, 3, 3, (length >> 8) & 0xff, length & 0xff]);
  const nonce = Buffer.from(RFC8448.serverHandshakeIv);
  nonce[11] ^= seq;
  const c = createCipheriv('aes-128-gcm', RFC8448.serverHandshakeKey, nonce);
  c.setAAD(header);
  return Buffer.concat([header, c.update(plain), c.final(), c.getAuthTag()]);
}

const FLIGHT12 = tls12Flight();
const KEYLOG = `SERVER_HANDSHAKE_TRAFFIC_SECRET ${RFC8448.clientRandom} ${Buffer.from(RFC8448.serverHandshakeTrafficSecret).toString('hex')}\n`;

interface WireInput {
  tls13: boolean;
  server: Uint8Array;
  /** Sizes of the chunks the server bytes arrive in. */
  chunk: number;
  keylogFirst: boolean;
}

function wireInput(rng: Rng): WireInput {
  const chunk = rng.chance(0.5) ? 1 << 20 : 1 + rng.int(300);
  if (rng.chance(0.5)) {
    const flight = mutateBytes(rng, FLIGHT12, [], BYTE_MUTATORS, 3);
    const server = rng.chance(0.85) ? intoRecords(rng, flight) : mutateBytes(rng, intoRecords(rng, FLIGHT12), [], BYTE_MUTATORS, 3);
    return { tls13: false, server, chunk, keylogFirst: false };
  }
  // The ServerHello stays readable (it selects TLS 1.3 and the suite); the protected flight is what is mutated.
  const hello = rng.chance(0.9) ? RFC8448.serverHello : mutateBytes(rng, RFC8448.serverHello, [], BYTE_MUTATORS, 1);
  const inner = mutateBytes(rng, RFC8448.serverFlight, [], BYTE_MUTATORS, 3).subarray(0, 16384);
  const records = [plaintextRecord(22, hello), protect(0, rng.chance(0.95) ? 22 : rng.pick([0, 21, 23, 255]), inner)];
  if (rng.chance(0.3)) records.push(protect(1, 21, Uint8Array.from([rng.int(3), rng.int(256)])));
  return { tls13: true, server: Buffer.concat(records), chunk, keylogFirst: rng.chance(0.5) };
}

/** Problems are wire-format reasons; a JavaScript error turned into a problem string is a crash in disguise. */
const JS_ERROR = /\b(TypeError|RangeError|ReferenceError|SyntaxError|undefined|NaN)\b/;

describe('fuzz: the probe wire reader', () => {
  it('WireTranscript.pushServer over mutated TLS 1.2 and TLS 1.3 flights: never throws, only wire-format problems', async () => {
    // How often the mutated flights still got as far as the parsers behind the record layer (and the decryption).
    const reached = { tls12CertificateRequest: 0, tls13Certificate: 0, tls13Finished: 0 };
    const r = await fuzz({
      name: 'tls wire transcript',
      iterations: 3000,
      perInputMs: 500,
      generate: wireInput,
      run: (input) => {
        const t = new WireTranscript(LIMITS);
        t.pushClient(plaintextRecord(22, RFC8448.clientHello, 0x0301));
        if (input.keylogFirst) t.addKeylog(KEYLOG);
        for (let at = 0; at < input.server.length; at += input.chunk) t.pushServer(input.server.subarray(at, at + input.chunk));
        if (!input.keylogFirst) t.addKeylog(KEYLOG);
        const bad = t.problems.find((p) => JS_ERROR.test(p));
        if (bad !== undefined) throw new Error(`invariant: a JavaScript error became a problem: ${bad}`);
        if (t.certificates.length > LIMITS.maxCertificates || t.certificates.length > t.certificateCount) {
          throw new Error('invariant: more certificates kept than allowed or counted');
        }
        void [t.serverStreamState, t.serverHead, t.serverBytes, t.tls13];
        if (!input.tls13 && t.certificateRequested) reached.tls12CertificateRequest++;
        if (input.tls13 && t.certificateMessageSeen) reached.tls13Certificate++;
        if (input.tls13 && t.serverFinished) reached.tls13Finished++;
      },
      expected: () => false,
      preview: (i) => `tls13=${i.tls13} chunk=${i.chunk} ${previewBytes(i.server)}`,
    });
    console.log(`${r.summary}; reached ${JSON.stringify(reached)}`);
    expect(r.crashes.length + r.hangs.length, failureReport(r)).toBe(0);
    expect(r.accepted).toBe(r.inputs);
    for (const n of Object.values(reached)) expect(n).toBeGreaterThan(r.inputs / 50);
  });

  it('the seeds themselves are read whole (so the mutations start from flights the reader follows)', () => {
    const t12 = new WireTranscript(LIMITS);
    t12.pushServer(plaintextRecord(22, FLIGHT12));
    expect(t12.problems).toEqual([]);
    expect(t12.certificates).toHaveLength(3);
    expect(t12.acceptableCaNames).toHaveLength(3);
    const t13 = new WireTranscript(LIMITS);
    t13.pushClient(plaintextRecord(22, RFC8448.clientHello, 0x0301));
    t13.pushServer(Buffer.concat([plaintextRecord(22, RFC8448.serverHello), protect(0, 22, RFC8448.serverFlight)]));
    t13.addKeylog(KEYLOG);
    expect(t13.problems).toEqual([]);
    expect(t13.certificates).toHaveLength(1);
    expect(t13.serverFinished).toBe(true);
  });
});
