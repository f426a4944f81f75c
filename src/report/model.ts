/**
 * What one probe or offline verification produced, before rendering. Built by the orchestration layer
 * (src/cli/run-probe.ts), rendered by probe-json.ts / probe-text.ts.
 */
import type { Cert } from '../certs/cert.js';
import type { PresentedBy } from '../diagnosis/presented-by.js';
import type { Diagnosis, HandshakeWhatIfs } from '../diagnosis/types.js';
import type { NginxSettings } from '../nginx/defaults.js';
import type { ProbeObservation } from '../probe/types.js';
import type { FixPlan } from '../remediation/types.js';

export interface FetchRecord {
  url: string;
  ok: boolean;
  /** What came back or why not (`2 certificates, 1423 bytes` / `timeout after 3000 ms`). */
  detail: string;
}

/** The phases of a `probe` run after the first handshake, in the order they run (src/cli/run-probe.ts). */
export type ProbePhase = 'handshake-what-if' | 'sni-what-if' | 'aia-fetch' | 'protocol-what-if' | 'closed-loop';

/** Where the run's single deadline (`--timeout`) stopped it: what the report lacks. */
export interface RunCut {
  /** The first phase cut short or skipped. */
  phase: ProbePhase;
  /** Milliseconds since the run started when it was cut. */
  atMs: number;
  /** Later phases that would have run and did not. */
  skipped: ProbePhase[];
}

export interface ProbeReport {
  command: 'probe' | 'verify';
  target?: { input: string; host: string; port: number };
  at: Date;
  settings: NginxSettings;
  trust: { source: 'bundle' | 'system'; files: string[]; count: number };
  observation?: ProbeObservation;
  sent: Cert[];
  /**
   * Which handshake presented `sent` (src/diagnosis/presented-by.ts); null: none got a certificate. Set by the
   * probe only (verify reads files).
   */
  presentedBy?: PresentedBy | null;
  diagnosis: Diagnosis;
  fetches: FetchRecord[];
  /** Things the user should know that are not findings (ignored private key in a file, ...). */
  notes: string[];
  fix?: FixPlan;
  /** Set only when the deadline stopped a phase after the first handshake (whose diagnosis is always kept). */
  cut?: RunCut;
  /** nginx's OpenSSL client as the probe reproduced it, and where node's OpenSSL differs (probe only). */
  client?: ProbeClientReport;
  /** The what-if handshakes run after a failed first one (without their observations). */
  whatIfs?: Omit<HandshakeWhatIfs, 'observation'>;
}

export interface ProbeClientReport {
  /** The cipher list given to OpenSSL, `@SECLEVEL=N` included. */
  cipherString: string;
  seclevel: number;
  protocols: string[];
  /** OpenSSL of the node running tlsdoctor (process.versions.openssl), which made the handshakes. */
  nodeOpenssl: string;
  /** Differences between that client and nginx's, stated rather than hidden. */
  differences: string[];
}
