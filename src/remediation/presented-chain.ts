/**
 * presented-chain.pem: the certificates exactly as the upstream sent them in its Certificate message, in order,
 * duplicates and unrelated extras included (what `openssl s_client -showcerts` shows, without its habit of
 * piping only the first block through `openssl x509`). Each block gets a comment header; OpenSSL ignores text
 * between PEM blocks, so the file still loads anywhere a PEM bundle does.
 */
import { certTimeText } from '../certs/time-text.js';
import type { Cert } from '../certs/cert.js';
import { pemWithHeader } from '../certs/pem.js';
import type { DiagnoseInput } from '../diagnosis/types.js';
import { opensslFingerprint } from './fingerprint.js';
import type { FixFile } from './types.js';
import { isOffline, upstreamLabel } from './upstream-label.js';

interface Entry {
  index: number;
  der: Uint8Array;
  cert?: Cert;
  error?: string;
}

/** sentChain with each blob's parse: `sent` is sentChain minus the `unparsable` indexes, in order. */
function entries(input: DiagnoseInput): Entry[] {
  const raw = input.observation.sentChain;
  const bad = new Map((input.unparsable ?? []).map((u) => [u.index, u.error]));
  if (raw.length === 0 || raw.length !== input.sent.length + bad.size) {
    // An offline run (or an observation that does not line up): the parsed list is all there is.
    return input.sent.map((cert, index) => ({ index, der: cert.der, cert }));
  }
  const out: Entry[] = [];
  let next = 0;
  raw.forEach((der, index) => {
    if (bad.has(index)) out.push({ index, der, error: bad.get(index) });
    else out.push({ index, der, cert: input.sent[next++] });
  });
  return out;
}

/**
 * `input.observation` is the handshake that received the chain; `whatIf` names the setting a what-if handshake
 * changed when nginx's own handshake got no certificate (src/diagnosis/presented-by.ts): said in the header, so the
 * file is not mistaken for what nginx receives as configured.
 */
export function presentedChainFile(input: DiagnoseInput, whatIf?: string): FixFile | undefined {
  const list = entries(input);
  if (list.length === 0) return undefined;
  const o = input.observation;
  const content = list
    .map((e, i) => {
      const header = [
        ...(i === 0
          ? [
              isOffline(o)
                ? 'Certificates of the chain given to tlsdoctor verify, in order, written by tlsdoctor.'
                : `Certificates as ${upstreamLabel(o, '')} sent them (${o.sni ? `SNI ${o.sni}` : 'no SNI'}), in order, written by tlsdoctor.`,
              ...(whatIf
                ? [`Sent to a what-if handshake (${whatIf}): nginx's own handshake failed before the upstream sent certificates.`]
                : []),
              '',
            ]
          : ['']),
        ...(e.cert
          ? [
              `[${e.index}] subject:  ${e.cert.subject}`,
              `[${e.index}] issuer:   ${e.cert.issuer}`,
              `[${e.index}] SHA-256:  ${opensslFingerprint(e.cert.sha256)}`,
              `[${e.index}] validity: ${certTimeText(e.cert.notBefore)} .. ${certTimeText(e.cert.notAfter)}`,
            ]
          : [`[${e.index}] could not be parsed: ${e.error ?? 'unknown error'}`]),
      ];
      return pemWithHeader(e.der, header);
    })
    .join('');
  return { name: 'presented-chain.pem', purpose: 'the certificates exactly as the upstream sent them, for inspection', content };
}
