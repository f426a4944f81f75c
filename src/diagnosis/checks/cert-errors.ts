/**
 * Certificate-level verify errors (validity, security level, purpose, CA rules, signatures) for every certificate
 * in the path, as OpenSSL reports them with nginx's continue-always verify callback.
 */
import { certTimeText } from '../../certs/time-text.js';
import type { FindingCode, Finding } from '../codes.js';
import { finding } from '../finding.js';
import type { Check } from '../types.js';

const BY_CODE: Record<number, FindingCode> = {
  9: 'NOT_YET_VALID',
  10: 'EXPIRED',
  66: 'WEAK_KEY',
  67: 'WEAK_KEY',
  68: 'WEAK_SIGNATURE',
  26: 'BAD_PURPOSE',
  24: 'INVALID_CA',
  25: 'INVALID_CA',
  41: 'INVALID_CA',
  79: 'INVALID_CA',
  47: 'NAME_CONSTRAINT_VIOLATION',
  48: 'NAME_CONSTRAINT_VIOLATION',
  49: 'NAME_CONSTRAINT_VIOLATION',
  50: 'NAME_CONSTRAINT_VIOLATION',
  51: 'NAME_CONSTRAINT_VIOLATION',
  52: 'NAME_CONSTRAINT_VIOLATION',
  53: 'NAME_CONSTRAINT_VIOLATION',
  54: 'NAME_CONSTRAINT_VIOLATION',
  4: 'BAD_SIGNATURE',
  6: 'BAD_SIGNATURE',
  7: 'BAD_SIGNATURE',
};

/** Path-building outcomes: explained by the trust-anchor and depth checks. */
const CHAIN_CODES = new Set([2, 3, 18, 19, 20, 21, 22, 27, 28, 62]);
const DAY_MS = 86_400_000;

export const checkCertErrors: Check = (ctx) => {
  const r = ctx.withCandidates.anchored || !ctx.unbounded.anchored ? ctx.withCandidates : ctx.unbounded;
  const out: Finding[] = [];
  const seen = new Set<string>();
  for (const e of r.errors) {
    if (CHAIN_CODES.has(e.code)) continue;
    const code = BY_CODE[e.code] ?? 'VERIFY_ERROR';
    const entry = r.path[e.depth];
    const key = `${code}:${e.certSha256 ?? e.depth}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const evidence: Record<string, string | number | null> = { opensslCode: e.code, opensslText: e.text };
    if (entry && (code === 'EXPIRED' || code === 'NOT_YET_VALID')) {
      evidence.notBefore = certTimeText(entry.cert.notBefore);
      evidence.notAfter = certTimeText(entry.cert.notAfter);
      evidence.days = Math.floor(Math.abs(ctx.input.at.getTime() - (code === 'EXPIRED' ? entry.cert.notAfter : entry.cert.notBefore).getTime()) / DAY_MS);
    }
    if (entry && code === 'WEAK_KEY') {
      evidence.keyType = entry.cert.publicKey.type;
      evidence.keyBits = entry.cert.publicKey.bits;
      evidence.securityBits = entry.cert.publicKey.securityBits;
      evidence.seclevel = ctx.input.settings.opensslSeclevel;
    }
    if (entry && code === 'WEAK_SIGNATURE') {
      evidence.signatureAlgorithm = entry.cert.signature.name;
      evidence.seclevel = ctx.input.settings.opensslSeclevel;
    }
    if (entry && code === 'BAD_PURPOSE') {
      evidence.extKeyUsage = (entry.cert.extKeyUsage ?? []).join(',') || null;
    }
    out.push(entry ? finding(code, evidence, ctx.ref(entry.cert, e.depth)) : finding(code, evidence));
  }
  const warnDays = ctx.input.warnDays ?? 0;
  if (warnDays > 0) {
    const at = ctx.input.at.getTime();
    r.path.forEach((e, depth) => {
      const left = e.cert.notAfter.getTime() - at;
      if (left >= 0 && left < warnDays * DAY_MS) {
        out.push(
          finding('EXPIRES_SOON', { notAfter: certTimeText(e.cert.notAfter), daysLeft: Math.floor(left / DAY_MS) }, ctx.ref(e.cert, depth)),
        );
      }
    });
  }
  return out;
};
