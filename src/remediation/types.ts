/**
 * The fix plan: files and nginx directives as data. Written to disk only by the CLI (--out).
 */
import type { TlsProtocol } from '../probe/types.js';

export interface FixDirective {
  /** e.g. `proxy_ssl_verify on;` */
  line: string;
  /** Why this line is there (becomes the comment above it). */
  why: string;
}

export interface FixFile {
  /** File name inside --out (presented-chain.pem, trusted-ca.pem, upstream-ssl.conf). */
  name: string;
  /** What the file is for. */
  purpose: string;
  content: string;
}

export interface ProposedTrust {
  subject: string;
  sha256: string;
  /** Where it came from: bundle, sent by the server, pool file, AIA URL. */
  origin: string;
  /** Root, intermediate or a pinned self-signed leaf. */
  role: 'root' | 'intermediate' | 'pinned-leaf';
  notAfter: string;
  /** True when the user has not trusted it yet: check the fingerprint out of band first. */
  newlyTrusted: boolean;
  /**
   * An intermediate the upstream does send, but after a same-name copy that leads elsewhere (cross-signing): OpenSSL
   * takes the first valid copy and never backtracks, so the bundle must hold this one (trusted-first).
   */
  sentFirstElsewhere?: boolean;
  /** Plain warning attached to this certificate (pinning a self-signed leaf: it breaks when the leaf is renewed). */
  warning?: string;
}

/** Another proven way to make nginx verify this upstream (a different path to a root, or the same one reached differently). */
export interface FixAlternative {
  /** Where the change is made: the upstream's certificate file, or nginx's proxy_ssl_trusted_certificate. */
  side: 'upstream' | 'nginx';
  /** One line: what to change. */
  summary: string;
  /** The root this alternative ends at. */
  anchor: { subject: string; sha256: string; notBefore: string; yours: boolean };
  /** The proxy_ssl_trusted_certificate it runs with, and the chain the upstream sends (SHA-256s, leaf first). */
  bundle: string[];
  sent: string[];
  /** The proxy_ssl_verify_depth it runs with. */
  depth: number;
  /** Judged by the trust engine with nginx's settings (always true: unproven ways are not listed). */
  verified: boolean;
  /** `engine`: the same certificates judged; `handshake`: re-judged on the closed loop's second live handshake. */
  verifiedBy: 'engine' | 'handshake';
}

/**
 * The `proxy_ssl_*` values upstream-ssl.conf sets. The snippet replaces the location's own `proxy_ssl_*` lines
 * (nginx refuses a duplicated directive), so an absent field means nginx's default applies.
 */
export interface PlanNginxSettings {
  proxySslName?: string;
  proxySslServerName?: boolean;
  proxySslVerifyDepth?: number;
  proxySslProtocols?: TlsProtocol[];
  proxySslCertificate?: string;
  proxySslCertificateKey?: string;
}

export interface FixPlan {
  /** Whether a fix exists on the nginx side alone. */
  nginxFixable: boolean;
  /** Changes on the upstream server, most important first (say these first: they are the durable fix). */
  upstreamChanges: string[];
  directives: FixDirective[];
  files: FixFile[];
  trust: ProposedTrust[];
  /**
   * No handshake got a certificate (nginx's failed before the Certificate message, and so did every what-if):
   * `trust` is the user's bundle as it is, not narrowed to a root that anchors anything (trust-bundle.ts
   * keepCurrentBundle). Absent otherwise. Additive (schemaVersion 1).
   */
  trustNotNarrowed?: true;
  /** Whether the closed-loop re-check predicted `ok` with this plan; null when it was not run. */
  verified: boolean | null;
  /** How `verified` was established: a second live handshake (probe) or a re-judgement of the same files (verify). */
  verifiedBy?: 'handshake' | 'files';
  /** The predicted nginx error with the plan applied, when not verified. */
  verifyError: string | null;
  /** Dead ends recognised in the user's inputs. */
  deadEnds: string[];
  /** Why no nginx-side fix is offered, when nginxFixable is false. */
  reason?: string;
  /** nginx already verifies and proxies with the current settings: the plan restates what it relies on. */
  alreadyOk?: boolean;
  /** What the snippet sets, as data (settingsForPlan applies it). */
  nginxSettings?: PlanNginxSettings;
  /**
   * Steps tlsdoctor cannot fill in itself (a root it did not find, a host name under a wildcard, the client
   * certificate the placeholders stand for). The plan is not complete until they are done.
   */
  manual?: string[];
  /** Other proven ways (upstream-side order, other bundles), one line each; the plan's own way is not repeated. */
  alternatives?: FixAlternative[];
  /** Working paths not proposed: through a root older than the one you trust (pass --allow-root-change for them). */
  notProposed?: string[];
  /**
   * The file the proxy_ssl_trusted_certificate line names: the user's bundle kept as is (`current`), trusted-ca.pem
   * written by --out (`written`), the --install-path given (`install-path`), or a path where trusted-ca.pem must
   * still be installed before the line works (`to-install`). Set by the CLI (install-path.ts); absent: not decided.
   */
  trustedFile?: { path: string; state: 'current' | 'written' | 'install-path' | 'to-install' };
}
