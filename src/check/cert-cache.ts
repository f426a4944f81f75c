/**
 * Parsed certificates shared across the targets of a run. A fleet repeats certificates: every upstream of one
 * CA sends the same intermediates, and upstreams behind one load balancer or with one wildcard certificate the
 * same leaf. Parsing (node:crypto's X509Certificate plus our DER reader) is the largest CPU cost of a check after
 * the handshake, and the chain engine memoises signature checks per Cert object (src/chain/issuer.ts), so
 * handing out the same object for the same bytes saves both. Cert objects are immutable once built.
 * Bounded (least recently used first out) so that a fleet of distinct leaves cannot grow it without limit. A
 * Cert costs ~12 KB of V8 heap and ~35 KB of RSS with its OpenSSL X509 (measured: 2,000 parses of the fixture
 * leaf, process.memoryUsage() after gc). What repeats across a fleet is a handful of intermediates and shared
 * leaves, each used again within a few targets, so 256 entries (~9 MB at most) keep every hit that matters;
 * 2,048 let a fleet of distinct leaves (or a long-running `serve`) hold ~70 MB of certificates used once.
 */
import { createHash } from 'node:crypto';
import type { Cert } from '../certs/cert.js';
import { parseCertificate } from '../certs/parse.js';

export class CertCache {
  private readonly entries = new Map<string, Cert>();
  hits = 0;
  misses = 0;

  constructor(private readonly max = 256) {}

  /** parseCertificate(der), or the Cert already built from the same bytes. Throws as parseCertificate does. */
  parse(der: Uint8Array): Cert {
    const key = createHash('sha256').update(der).digest('base64');
    const found = this.entries.get(key);
    if (found) {
      this.hits++;
      this.entries.delete(key);
      this.entries.set(key, found);
      return found;
    }
    this.misses++;
    const cert = parseCertificate(der);
    this.entries.set(key, cert);
    if (this.entries.size > this.max) this.entries.delete(this.entries.keys().next().value!);
    return cert;
  }

  get size(): number {
    return this.entries.size;
  }
}
