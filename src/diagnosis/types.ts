/**
 * Inputs and outputs of diagnose(): plain data in, plain data out. The CLI/orchestrator does the I/O
 * (probing, reading bundles, fetching AIA) and hands the results here.
 */
import type { Cert } from '../certs/cert.js';
import type { RealizationKind } from '../chain/path-alternatives.js';
import type { CertSource, VerifyError, VerifyResult } from '../chain/types.js';
import type { NginxSettings } from '../nginx/defaults.js';
import type { ProbeObservation, ProbeOutcome } from '../probe/types.js';
import type { CertRef, Finding } from './codes.js';

export interface CandidateCert {
  cert: Cert;
  source: Extract<CertSource, 'pool' | 'fetched'>;
  /** Where it came from: file path or URL. */
  origin: string;
}

export interface DiagnoseInput {
  /** The handshake made with nginx's settings (SNI, protocols, client certificate). */
  observation: ProbeObservation;
  /** A what-if handshake with SNI = proxy_ssl_name, made when nginx would send no SNI. */
  sniObservation?: ProbeObservation;
  /** observation.sentChain, parsed (same order). Unparseable blobs are listed in `unparsable`. */
  sent: Cert[];
  unparsable?: { index: number; error: string }[];
  /** Certificates of sniObservation.sentChain, parsed. */
  sniSent?: Cert[];
  /**
   * When nginx's own handshake failed before the server's Certificate message: a what-if handshake that got one
   * (another protocol version, or SNI). Its chain is the presented chain and what trusted-ca.pem is narrowed to.
   */
  whatIfChain?: { observation: ProbeObservation; sent: Cert[]; change: 'protocols' | 'sni' };
  /** The proxy_ssl_trusted_certificate bundle (or the system store, see trustSource). */
  trusted: Cert[];
  trustSource: 'bundle' | 'system';
  /** Candidate CA certificates not trusted yet: --intermediates pool and AIA-fetched ones. */
  candidates?: CandidateCert[];
  /**
   * The user's other trust bundles (e.g. the other proxy_ssl_trusted_certificate files of the same nginx config):
   * searched for alternative paths only (src/chain/path-alternatives.ts), their roots count as the user's roots.
   */
  otherBundles?: { cert: Cert; origin: string }[];
  settings: NginxSettings;
  at: Date;
  /** Certificates expiring within this many days get EXPIRES_SOON (0 = off). */
  warnDays?: number;
  /** Issuer of the client certificate nginx sends (one-line form, as acceptableCaNames), when one is configured. */
  clientCertIssuer?: string;
  /** What-if handshakes run after a failed one, one setting changed at a time (src/cli/handshake-what-ifs.ts). */
  whatIfs?: HandshakeWhatIfs;
}

/** One setting of nginx's client changed: SNI on, no client certificate, level 0, every cipher, every group. */
export type WhatIfId = 'sni' | 'no-client-cert' | 'seclevel-0' | 'wide-ciphers' | 'wide-groups';

export interface WhatIfTry {
  id: WhatIfId;
  /** The change, in nginx's or OpenSSL's words (`proxy_ssl_server_name on`, `@SECLEVEL=0`). */
  change: string;
  outcome: ProbeOutcome;
  /** The handshake completed. */
  ok: boolean;
  protocol?: string;
  cipher?: string;
  ephemeralKey?: ProbeObservation['ephemeralKey'];
  /** OpenSSL reason or alert name when it failed. */
  reason?: string;
}

export interface HandshakeWhatIfs {
  /** In the order tried; the run stops at the first that completes. */
  tried: WhatIfTry[];
  succeeded: WhatIfId | null;
  /** The completed handshake of the succeeding variant: its chain is the presented chain. */
  observation?: ProbeObservation;
  /** nginx's client as modelled: the cipher list and the security level it runs at. */
  nginxCiphers: string;
  seclevel: number;
}

export type NginxStage = 'config' | 'connect' | 'handshake' | 'verify' | 'name' | 'read' | 'response' | 'ok';

/** What nginx does with a request to this upstream. */
export interface NginxOutcome {
  ok: boolean;
  /** 502/504 when nginx itself answers; 200 when it proxies (the upstream's own status passes through); null when nginx would not start. */
  status: number | null;
  /** Error-log level of the line nginx writes (null when ok). */
  level: 'error' | 'crit' | 'emerg' | null;
  /** The message nginx logs, without timestamp, pid and request context (null when ok). */
  error: string | null;
  /** X509 verify result nginx sees after the handshake (0 = ok), null when no handshake completed. */
  verifyCode: number | null;
  stage: NginxStage;
  /**
   * Who writes the status the client gets: nginx itself (502/504), or the upstream through nginx (its own status,
   * seen in the answer to the probe's request). Absent where nothing was requested.
   */
  answeredBy?: 'nginx' | 'upstream';
}

export interface PathItem {
  ref: CertRef;
  selfSigned: boolean;
  isCa: boolean;
  notAfter: string;
}

/** How nginx could take one path, proven by the engine: bundle and sent chain as SHA-256s, leaf first. */
export interface PathRealizationItem {
  kind: RealizationKind;
  bundle: string[];
  sent: string[];
  depth: number;
}

/** One certification path from the leaf to a root over every known certificate (src/chain/enumerate-paths.ts). */
export interface PathSummary {
  /** Leaf first; `index` is the position in the chain as sent, when sent. */
  certs: CertRef[];
  anchor: {
    subject: string;
    sha256: string;
    notBefore: string;
    notAfter: string;
    /** In the bundle nginx runs with now. */
    inBundle: boolean;
    /** In one of the user's bundles (this one or otherBundles): a root the user already trusts. */
    yours: boolean;
    origin: string;
  };
  /** Intermediates: the proxy_ssl_verify_depth this path needs. */
  neededDepth: number;
  /** nginx takes this path today and accepts it. */
  taken: boolean;
  /** At least one realization is proven. */
  works: boolean;
  realizations: PathRealizationItem[];
  /** Why no bundle makes it work (expired root, weak key...), when none does. */
  failure: { code: number; text: string; depth: number } | null;
}

export interface PathSearchSummary {
  paths: number;
  /** null: every path was found; 'paths' / 'work': a cap (PATH_SEARCH_LIMITS) stopped the search. */
  truncated: null | 'paths' | 'work';
  work: number;
}

export interface Diagnosis {
  nginx: NginxOutcome;
  findings: Finding[];
  /** The path nginx's OpenSSL builds with these settings (leaf first). */
  path: PathItem[];
  /** The path without the depth limit and with candidate certificates: what a fix can anchor. */
  fullPath: PathItem[];
  /** True when fullPath ends at a certificate the bundle already trusts. */
  anchored: boolean;
  /** Every verify error as nginx's OpenSSL reports them (continue-always callback). */
  verifyErrors: VerifyError[];
  /** The proxy_ssl_verify_depth this chain needs (intermediates in fullPath), when a path exists. */
  neededDepth: number | null;
  /** Earliest notAfter over the certificates of fullPath (ISO), or null. */
  earliestNotAfter: string | null;
  /** Every path from the leaf to a root over the sent, bundle, candidate and other-bundle certificates, judged. */
  paths: PathSummary[];
  pathSearch: PathSearchSummary;
}

export interface CheckContext {
  input: DiagnoseInput;
  leaf?: Cert;
  /** verifyChain as nginx runs it: settings' depth and security level, no host name. */
  asNginx: VerifyResult;
  /** The same without the depth limit. */
  unbounded: VerifyResult;
  /** Without the depth limit and with candidate certificates as untrusted issuers. */
  withCandidates: VerifyResult;
  /** Every path to a root, judged (see Diagnosis.paths). */
  paths: PathSummary[];
  /** The host name check as nginx makes it (X509_check_host(leaf, proxy_ssl_name)); undefined: no leaf. */
  nameMatches?: boolean;
  ref(cert: Cert, depth?: number): CertRef;
}

export type Check = (ctx: CheckContext) => Finding[];
