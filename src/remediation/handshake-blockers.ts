/**
 * Upstream-side fixes for handshakes nginx's OpenSSL refuses before any certificate is judged. The what-if that
 * completed (a lower security level, a cipher nginx never offers) proves the cause; it is never turned into an
 * nginx setting: `@SECLEVEL=0`, NULL/RC4/3DES suites or a smaller DH minimum would "work" by weakening the
 * connection, which tlsdoctor never proposes (remediation/plan.ts).
 */
import type { Finding } from '../diagnosis/codes.js';
import type { Blocker } from './upstream-side.js';

const s = (v: unknown): string => (v === null || v === undefined ? '?' : String(v));

export function handshakeBlocker(f: Finding): Omit<Blocker, 'code'> | undefined {
  const e = f.evidence;
  switch (f.code) {
    case 'CIPHER_MISMATCH':
      return {
        summary: e.accepted ? `the upstream accepts only ${s(e.accepted)}, which nginx does not offer` : 'the upstream accepts none of the cipher suites nginx offers',
        change: e.acceptedIsWeak
          ? `Enable a modern cipher suite on the upstream (TLS 1.3, or TLS 1.2 with ECDHE-ECDSA/ECDHE-RSA AES-GCM or CHACHA20-POLY1305): it accepts only ${s(e.accepted)}, ` +
            'a suite without real encryption or with a broken cipher. nginx must not be made to offer it, so no nginx directive is proposed.'
          : `Enable on the upstream one of the suites nginx offers (proxy_ssl_ciphers ${s(e.offered)} at security level ${s(e.seclevel)}, e.g. ECDHE-RSA-AES128-GCM-SHA256)` +
            `${e.accepted ? `; it accepts only ${s(e.accepted)}` : ''}. If your own proxy_ssl_ciphers narrowed nginx's list, widen it back to DEFAULT instead.`,
      };
    case 'WEAK_EPHEMERAL_KEY':
      return {
        summary: `the upstream's ephemeral key${e.bits !== null ? ` (${s(e.group)}, ${s(e.bits)} bits)` : ''} is below OpenSSL security level ${s(e.seclevel)} (dh key too small)`,
        change:
          `Serve a DH group of at least ${s(e.minimumBits ?? 2048)} bits (e.g. ffdhe2048 from RFC 7919: nginx \`ssl_dhparam\`, Apache SSLOpenSSLConfCmd DHParameters) or ECDHE suites on the upstream` +
          `${e.bits !== null ? `: it uses ${s(e.group)}, ${s(e.bits)} bits` : ''}. Lowering nginx's security level (@SECLEVEL) would accept a key exchange an attacker can break, so no nginx directive is proposed.`,
      };
    case 'CERT_LIST_TOO_LARGE':
      return {
        summary: `the upstream's certificate list${e.bytes !== null ? ` (${s(e.bytes)} bytes)` : ''} is over OpenSSL's ${s(e.limit)}-byte limit`,
        change:
          `Send a shorter certificate list from the upstream: only the leaf and the intermediates that lead to the root (no root, no duplicates, no unrelated certificates)` +
          `${e.bytes !== null ? `; its Certificate message is ${s(e.bytes)} bytes` : ''}, over OpenSSL's max_cert_list of ${s(e.limit)} bytes. nginx has no directive that raises the limit.`,
      };
    case 'NO_HTTP_RESPONSE':
      return {
        summary: e.missing === 'closed' ? 'the upstream closes the connection without an HTTP answer' : 'the upstream does not answer in HTTP',
        change:
          `Make the service behind this port answer HTTP over TLS (GET ${s(e.path)} got ${e.missing === 'closed' ? 'a close' : `"${s(e.firstLine)}"`}), ` +
          'or point proxy_pass at the port that does: TLS works, the application protocol does not.',
      };
    default:
      return undefined;
  }
}
