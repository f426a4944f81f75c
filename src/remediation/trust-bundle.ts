/**
 * trusted-ca.pem: the smallest `proxy_ssl_trusted_certificate` bundle that anchors this upstream's chain.
 *
 * nginx loads the file with `SSL_CTX_load_verify_locations` and verifies without X509_V_FLAG_PARTIAL_CHAIN, so
 * every certificate in the bundle is a trust store entry but OpenSSL still has to reach a self-signed root:
 * an intermediate alone fails with 2, a pinned CA-issued leaf with 20 (shared/NGINX.md, "Partial chains").
 * The bundle therefore holds the root that ends the path plus every certificate of the path the server does
 * not send (those OpenSSL can only take from the store). A self-signed upstream certificate is its own root.
 */
import { certTimeText } from '../certs/time-text.js';
import type { Cert } from '../certs/cert.js';
import { pemWithHeader } from '../certs/pem.js';
import { verifyChain } from '../chain/verify.js';
import type { DiagnoseInput, PathItem } from '../diagnosis/types.js';
import type { ChosenPath } from './choose-path.js';
import { opensslFingerprint } from './fingerprint.js';
import type { FixFile, ProposedTrust } from './types.js';

/** The connection nginx will make once the plan is applied: the chain it receives and the path it builds. */
export interface ChainView {
  sent: Cert[];
  /** SNI the chain was received with (null: none). */
  sni: string | null;
  fullPath: PathItem[];
}

export interface TrustSelection {
  certs: Cert[];
  trust: ProposedTrust[];
  /** The path stops at a certificate that is not self-signed: the root above it was not found anywhere. */
  missingRoot?: { top: string; issuer: string };
  /** The only path found ends at a root choosePath refused (older than the user's): no bundle is proposed. */
  refusedRoot?: { subject: string; below: string };
  /** Intermediates in the path (the proxy_ssl_verify_depth it needs), null without a root. */
  neededDepth: number | null;
  /** No chain was seen: the user's bundle is kept unchanged. */
  keptCurrent?: boolean;
}

interface Known {
  cert: Cert;
  origin: string;
}

/** Every certificate the inputs hold, by SHA-256, with where it came from (the user's bundle wins). */
export function knownCertificates(input: DiagnoseInput, view?: ChainView): Map<string, Known> {
  const known = new Map<string, Known>();
  const add = (cert: Cert, origin: string): void => {
    if (!known.has(cert.sha256)) known.set(cert.sha256, { cert, origin });
  };
  for (const c of input.trusted) add(c, 'your current proxy_ssl_trusted_certificate');
  const sniNote = view?.sni ? ` with SNI ${view.sni}` : '';
  view?.sent.forEach((c, i) => add(c, `sent by the upstream${sniNote} as #${i}`));
  input.sent.forEach((c, i) => add(c, `sent by the upstream as #${i}`));
  input.sniSent?.forEach((c, i) => add(c, `sent by the upstream with SNI as #${i}`));
  for (const c of input.candidates ?? []) {
    add(c.cert, c.source === 'pool' ? `--intermediates ${c.origin}` : `fetched via AIA from ${c.origin}`);
  }
  for (const b of input.otherBundles ?? []) add(b.cert, `your proxy_ssl_trusted_certificate ${b.origin}`);
  return known;
}

/** Path building caps: OpenSSL's own limit is far larger; 100 is what diagnose() calls unbounded. */
const UNBOUNDED_DEPTH = 100;

/**
 * The certificates of the path, leaf first. When the diagnosed path stops below a root, because OpenSSL took an
 * intermediate from the store and then searches only the store for what is above it (x509_vfy.c build_chain),
 * the path is rebuilt with every known certificate as untrusted issuer: that finds the root a fix can anchor on
 * (e.g. the root above a bundle's lone intermediate, in the --intermediates pool).
 */
function fixPath(view: ChainView, input: DiagnoseInput, known: Map<string, Known>): Cert[] {
  const path = view.fullPath.map((p) => known.get(p.ref.sha256)?.cert).filter((c): c is Cert => c !== undefined);
  if (path.length === 0 || path.length !== view.fullPath.length || path[path.length - 1].selfSigned || view.sent.length === 0) return path;
  const untrusted = [
    ...input.trusted.map((cert) => ({ cert, source: 'bundle' as const })),
    ...(input.candidates ?? []).map((c) => ({ cert: c.cert, source: c.source })),
  ];
  const rebuilt = verifyChain({
    sent: view.sent,
    untrusted,
    trusted: [],
    at: input.at,
    depth: UNBOUNDED_DEPTH,
    seclevel: input.settings.opensslSeclevel,
  }).path.map((e) => e.cert);
  return rebuilt[rebuilt.length - 1]?.selfSigned ? rebuilt : path;
}

/**
 * The bundle for the path the fix chose (src/remediation/choose-path.ts), or, without a choice, for the path
 * diagnosed: its root plus the certificates of the path the server does not send. A diagnosed path ending at a
 * root choosePath refused (`refusedRoots`) is no fallback: that would propose the older root it just refused.
 */
export function selectTrust(view: ChainView, input: DiagnoseInput, chosen?: ChosenPath, refusedRoots: Set<string> = new Set()): TrustSelection {
  const empty: TrustSelection = { certs: [], trust: [], neededDepth: null };
  const known = knownCertificates(input, view);
  const chosenPath = chosen?.path.certs.map((r) => known.get(r.sha256)?.cert).filter((c): c is Cert => c !== undefined);
  const useChosen = chosen !== undefined && chosenPath !== undefined && chosenPath.length === chosen.path.certs.length;
  const path = useChosen ? chosenPath : fixPath(view, input, known);
  if (path.length === 0) return empty;
  const top = path[path.length - 1];
  if (!top.selfSigned) return { ...empty, missingRoot: { top: top.subject, issuer: top.issuer } };
  if (!useChosen && refusedRoots.has(top.sha256)) return { ...empty, refusedRoot: { subject: top.subject, below: path[path.length - 2]?.subject ?? top.subject } };
  const sentShas = new Set(view.sent.map((c) => c.sha256));
  const trustedShas = new Set(input.trusted.map((c) => c.sha256));
  // The chosen realization's bundle, proven by the engine; else the root and what the server does not send.
  const inBundle = useChosen ? new Set(chosen.realization.bundle) : undefined;
  const certs: Cert[] = [];
  const trust: ProposedTrust[] = [];
  path.forEach((cert, depth) => {
    const last = depth === path.length - 1;
    if (inBundle ? !inBundle.has(cert.sha256) : !last && sentShas.has(cert.sha256)) return;
    if (certs.some((c) => c.sha256 === cert.sha256)) return;
    const role: ProposedTrust['role'] = depth === 0 ? 'pinned-leaf' : last ? 'root' : 'intermediate';
    certs.push(cert);
    trust.push({
      subject: cert.subject,
      sha256: cert.sha256,
      origin: known.get(cert.sha256)?.origin ?? 'unknown',
      role,
      notAfter: certTimeText(cert.notAfter),
      newlyTrusted: !trustedShas.has(cert.sha256),
      ...(role === 'intermediate' && sentShas.has(cert.sha256) ? { sentFirstElsewhere: true } : {}),
      ...(role === 'pinned-leaf'
        ? {
            warning:
              `This pins one self-signed certificate: when the upstream replaces it (it expires on ${day(cert.notAfter)}), ` +
              `nginx fails with "18:self-signed certificate" until trusted-ca.pem holds the new one.`,
          }
        : {}),
    });
  });
  return { certs, trust, neededDepth: Math.max(0, path.length - 2) };
}

/**
 * No chain was seen (the handshake failed before the server's Certificate message, e.g. no common protocol):
 * nothing to narrow the bundle with, so the user's current bundle is kept as it is.
 */
export function keepCurrentBundle(input: DiagnoseInput): TrustSelection {
  if (input.trustSource !== 'bundle' || input.trusted.length === 0) return { certs: [], trust: [], neededDepth: null };
  const seen = new Set<string>();
  const certs = input.trusted.filter((c) => !seen.has(c.sha256) && !!seen.add(c.sha256));
  return {
    certs,
    trust: certs.map((c) => ({
      subject: c.subject,
      sha256: c.sha256,
      origin: 'your current proxy_ssl_trusted_certificate',
      role: c.selfSigned ? 'root' : 'intermediate',
      notAfter: certTimeText(c.notAfter),
      newlyTrusted: false,
    })),
    neededDepth: null,
    keptCurrent: true,
  };
}

function day(d: Date): string {
  return certTimeText(d).slice(0, 10);
}

const ROLE_LABEL: Record<ProposedTrust['role'], string> = {
  root: 'root CA (trust anchor)',
  intermediate: 'intermediate CA the upstream does not send',
  'pinned-leaf': "the upstream's own self-signed certificate (pinned)",
};

/** An intermediate the upstream sends, but after a cross-signed copy that OpenSSL takes first (no backtracking). */
const SENT_SECOND_LABEL = 'intermediate CA the upstream sends only after another copy that OpenSSL takes first: in the bundle, trusted-first makes OpenSSL use this one';

export function trustedCaFile(selection: TrustSelection, target: string): FixFile | undefined {
  if (selection.certs.length === 0) return undefined;
  const content = selection.certs
    .map((cert, i) => {
      const t = selection.trust[i];
      const header = [
        ...(i === 0
          ? [
              `proxy_ssl_trusted_certificate bundle for ${target}, written by tlsdoctor.`,
              'nginx accepts no partial chains: this file must keep the root, not only intermediates.',
              '',
            ]
          : ['']),
        `subject:  ${cert.subject}`,
        `issuer:   ${cert.issuer}`,
        `SHA-256:  ${opensslFingerprint(cert.sha256)}`,
        `validity: ${certTimeText(cert.notBefore)} .. ${certTimeText(cert.notAfter)}`,
        `role:     ${selection.keptCurrent ? 'kept from your current bundle (no chain was seen to narrow it)' : t.sentFirstElsewhere ? SENT_SECOND_LABEL : ROLE_LABEL[t.role]}`,
        `origin:   ${t.origin}`,
        t.newlyTrusted
          ? 'NOT TRUSTED BEFORE: check this SHA-256 out of band (ask the upstream\'s operator) before trusting it.'
          : 'already in your current bundle.',
        ...(t.warning ? [`WARNING: ${t.warning}`] : []),
      ];
      return pemWithHeader(cert.der, header);
    })
    .join('');
  return { name: 'trusted-ca.pem', purpose: 'the bundle for proxy_ssl_trusted_certificate (install it where the snippet says)', content };
}
