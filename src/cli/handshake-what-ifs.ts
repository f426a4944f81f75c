/**
 * The differential re-probe: when nginx's handshake fails (an alert, a reset, a close, a timeout after the
 * ClientHello), try again with one setting of nginx's client changed at a time, and stop at the first that
 * completes. That variant names the cause (diagnosis/checks/handshake-cause.ts) and its chain is the presented
 * chain. Only on failure: a healthy upstream costs no extra handshake. Every try draws on the run's deadline and
 * a cut is recorded as the `handshake-what-if` phase.
 *
 * Two variants only observe (a lower security level, every cipher): their success is evidence for an upstream-side
 * fix, never a setting the plan proposes (remediation/plan.ts).
 */
import type { HandshakeWhatIfs, WhatIfId, WhatIfTry } from '../diagnosis/types.js';
import type { NginxClient } from '../nginx/client-model.js';
import { isIpLiteral, type NginxSettings } from '../nginx/defaults.js';
import { probe } from '../probe/probe.js';
import type { ProbeObservation, ProbeParams } from '../probe/types.js';
import type { RunDeadline } from './run-deadline.js';
import { worthWhatIfs } from './what-if-trigger.js';

/** Per-try cap; the run's deadline may leave less. */
const WHAT_IF_MS = 3000;

/**
 * Every cipher OpenSSL knows (NULL, RC4, 3DES, export-grade included) at level 0, and every TLS 1.3 suite: "is there
 * a cipher at all that this server accepts".
 */
export const WIDE_CIPHERS = 'ALL:COMPLEMENTOFALL:@SECLEVEL=0';
const WIDE_SUITES = 'TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256:TLS_AES_128_CCM_SHA256:TLS_AES_128_CCM_8_SHA256';
/** Every named group node's OpenSSL 3.0 offers, small curves included (OpenSSL's default list has none under 256 bits). */
const WIDE_GROUPS = 'X25519:P-256:X448:P-521:P-384:secp224r1:prime192v1:ffdhe2048:ffdhe3072:ffdhe4096';

interface Variant {
  id: WhatIfId;
  change: string;
  params: ProbeParams;
}

function variants(base: ProbeParams, settings: NginxSettings, client: NginxClient): Variant[] {
  const out: Variant[] = [];
  const name = settings.proxySslName;
  if (base.servername === undefined && !isIpLiteral(name)) {
    out.push({ id: 'sni', change: `proxy_ssl_server_name on (SNI "${name}")`, params: { ...base, servername: name } });
  }
  if (base.clientCert) {
    out.push({ id: 'no-client-cert', change: 'no client certificate', params: { ...base, clientCert: undefined } });
  }
  if (client.seclevel > 0) {
    const atZero = `${client.tls.cipherString.replace(/:?@SECLEVEL=\d/gi, '')}:@SECLEVEL=0`;
    out.push({ id: 'seclevel-0', change: `@SECLEVEL=0 (nginx runs at ${client.seclevel})`, params: { ...base, client: { ...client.tls, cipherString: atZero } } });
  }
  out.push({
    id: 'wide-ciphers',
    change: `every cipher OpenSSL knows (${WIDE_CIPHERS})`,
    params: { ...base, client: { ...client.tls, cipherString: WIDE_CIPHERS, ciphersuites: WIDE_SUITES } },
  });
  out.push({
    id: 'wide-groups',
    change: `every group, small curves included (${WIDE_GROUPS}) at @SECLEVEL=0`,
    params: { ...base, client: { ...client.tls, cipherString: WIDE_CIPHERS, groups: WIDE_GROUPS } },
  });
  return out;
}

function completed(o: ProbeObservation): boolean {
  return o.outcome === 'handshake' || o.alert?.during === 'first-read';
}

function tryOf(v: Variant, o: ProbeObservation): WhatIfTry {
  const ok = completed(o);
  const reason = o.alert ? `alert ${o.alert.description} ${o.alert.name}` : (o.error?.opensslReason ?? o.error?.code);
  return {
    id: v.id,
    change: v.change,
    outcome: o.outcome,
    ok,
    ...(o.protocol ? { protocol: o.protocol } : {}),
    ...(o.cipher ? { cipher: o.cipher } : {}),
    ...(o.ephemeralKey ? { ephemeralKey: o.ephemeralKey } : {}),
    ...(!ok && reason ? { reason } : {}),
  };
}

/**
 * The what-ifs for a failed first handshake, or undefined when the failure is not one they can explain.
 * `base` is the first handshake's parameters (nginx's client); no request is sent by the variants.
 */
export async function handshakeWhatIfs(
  first: ProbeObservation,
  base: ProbeParams,
  settings: NginxSettings,
  client: NginxClient,
  deadline: RunDeadline,
): Promise<HandshakeWhatIfs | undefined> {
  if (!worthWhatIfs(first)) return undefined;
  const result: HandshakeWhatIfs = { tried: [], succeeded: null, nginxCiphers: client.ciphers, seclevel: client.seclevel };
  for (const v of variants({ ...base, request: undefined }, settings, client)) {
    if (deadline.expired()) {
      deadline.cut('handshake-what-if');
      break;
    }
    const o = await probe({ ...v.params, timeoutMs: deadline.allow(WHAT_IF_MS) });
    if (o.outcome === 'timeout' && deadline.expired()) {
      deadline.cut('handshake-what-if');
      break;
    }
    const t = tryOf(v, o);
    result.tried.push(t);
    if (t.ok) {
      result.succeeded = v.id;
      result.observation = o;
      break;
    }
  }
  return result;
}
