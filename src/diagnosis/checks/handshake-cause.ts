/**
 * The cause of a failed handshake, from what OpenSSL said and from the what-if handshakes that changed one
 * setting of nginx's client at a time (cli/handshake-what-ifs.ts): the variant that completes names the cause.
 * Also the weak ephemeral key of a handshake that completed for a permissive observer (check, serve).
 * Called by checks/connection.ts before it falls back to HANDSHAKE_FAILED.
 */
import { ephemeralSecurityBits, LEVEL_MIN_BITS, LEVEL_MIN_DH_BITS } from '../../nginx/client-model.js';
import type { ProbeObservation } from '../../probe/types.js';
import type { Finding } from '../codes.js';
import { finding } from '../finding.js';
import type { DiagnoseInput, WhatIfTry } from '../types.js';

/** OpenSSL's default max_cert_list (SSL_CTX_set_max_cert_list, ssl/ssl_local.h SSL_MAX_CERT_LIST_DEFAULT: 100 KiB); nginx sets none. */
export const MAX_CERT_LIST = 102400;

/** Cipher families no nginx fix may enable (remediation/plan.ts never proposes them). */
const WEAK_CIPHER = /(^|[-_])(NULL|RC4|DES|3DES|CBC3|EXP|EXPORT|MD5|ADH|AECDH|anon)([-_]|$)/i;

export function isWeakCipher(name: string): boolean {
  return WEAK_CIPHER.test(name);
}

function tried(input: DiagnoseInput): { tried: string[]; succeededWith: string | null } {
  const w = input.whatIfs;
  const ok = w?.tried.find((t) => t.ok);
  return { tried: (w?.tried ?? []).map((t) => `${t.change}: ${t.ok ? 'completes' : (t.reason ?? t.outcome)}`), succeededWith: ok?.change ?? null };
}

function refusal(o: ProbeObservation): string {
  if (o.alert) return `alert ${o.alert.description} ${o.alert.name}`;
  if (o.outcome === 'closed') return 'the upstream closed the connection';
  if (o.error?.code === 'ECONNRESET') return 'the upstream reset the connection';
  if (o.outcome === 'timeout') return 'no answer to the ClientHello';
  return o.error?.opensslReason ?? o.error?.code ?? o.outcome;
}

/** A key below the level's minimum (ssl_security_default_callback, SSL_SECOP_TMP_DH). */
function weakKey(key: WhatIfTry['ephemeralKey'], level: number): boolean {
  return !!key && ephemeralSecurityBits(key) < (LEVEL_MIN_BITS[level] ?? 0);
}

export function weakEphemeralEvidence(key: NonNullable<WhatIfTry['ephemeralKey']>, level: number) {
  return {
    group: key.name ?? (key.type === 'DH' ? 'a finite-field DH group' : 'an ECDH curve'),
    keyType: key.type,
    bits: key.bits,
    securityBits: ephemeralSecurityBits(key),
    seclevel: level,
    minimumBits: key.type === 'DH' ? (LEVEL_MIN_DH_BITS[level] ?? 0) : 2 * (LEVEL_MIN_BITS[level] ?? 0),
  };
}

export function handshakeCauseFindings(input: DiagnoseInput, reason: string | undefined): Finding[] {
  const o = input.observation;
  const w = input.whatIfs;
  const level = w?.seclevel ?? input.settings.opensslSeclevel;
  const ok = w?.tried.find((t) => t.ok);
  const r = reason?.toLowerCase();

  if (r === 'excessive message size') {
    return [
      finding('CERT_LIST_TOO_LARGE', {
        bytes: o.certificateMessageBytes ?? null,
        limit: MAX_CERT_LIST,
        protocol: o.protocol ?? null,
      }),
    ];
  }
  if (r === 'dh key too small' || (ok && (ok.id === 'seclevel-0' || ok.id === 'wide-groups') && weakKey(ok.ephemeralKey, level))) {
    const key = ok?.ephemeralKey;
    return [
      finding('WEAK_EPHEMERAL_KEY', {
        ...(key ? weakEphemeralEvidence(key, level) : { group: null, keyType: null, bits: null, securityBits: null, seclevel: level, minimumBits: LEVEL_MIN_DH_BITS[level] ?? null }),
        reason: reason ?? null,
        ...tried(input),
      }),
    ];
  }
  if (ok?.id === 'sni') {
    return [
      finding('SNI_REQUIRED', {
        name: input.settings.proxySslName,
        withoutSni: `no certificate: the handshake is refused (${refusal(o)})`,
        withSni: input.sniSent?.[0]?.subject ?? null,
        withSniSha256: input.sniSent?.[0]?.sha256 ?? null,
        refusedWithoutSni: true,
        ...tried(input),
      }),
    ];
  }
  if (ok?.id === 'no-client-cert') {
    return [
      finding('CLIENT_CERT_REJECTED', {
        alert: o.alert?.description ?? null,
        alertName: o.alert?.name ?? refusal(o),
        during: 'handshake',
        acceptableCaNames: o.acceptableCaNames,
        ...tried(input),
      }),
    ];
  }
  if (ok?.id === 'wide-ciphers' || r === 'no shared cipher' || r === 'no ciphers available') {
    return [
      finding('CIPHER_MISMATCH', {
        accepted: ok?.cipher ?? null,
        protocol: ok?.protocol ?? null,
        acceptedIsWeak: ok?.cipher ? isWeakCipher(ok.cipher) : null,
        offered: w?.nginxCiphers ?? input.settings.proxySslCiphers ?? 'DEFAULT',
        seclevel: level,
        refusal: refusal(o),
        ...tried(input),
      }),
    ];
  }
  return [];
}

/** A completed handshake whose ephemeral key nginx's OpenSSL refuses (observed by a permissive probe). */
export function weakKeyOfCompleted(input: DiagnoseInput): Finding[] {
  const o = input.observation;
  const level = input.settings.opensslSeclevel;
  if (o.outcome !== 'handshake' || !o.ephemeralKey || o.ephemeralKey.type !== 'DH' || !weakKey(o.ephemeralKey, level)) return [];
  return [finding('WEAK_EPHEMERAL_KEY', { ...weakEphemeralEvidence(o.ephemeralKey, level), reason: 'dh key too small', tried: [], succeededWith: null })];
}
