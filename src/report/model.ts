/**
 * What one probe or offline verification produced, before rendering. Built by the orchestration layer
 * (src/cli/run-probe.ts), rendered by probe-json.ts / probe-text.ts.
 */
import type { Cert } from '../certs/cert.js';
import type { Diagnosis } from '../diagnosis/types.js';
import type { NginxSettings } from '../nginx/defaults.js';
import type { ProbeObservation } from '../probe/types.js';
import type { FixPlan } from '../remediation/types.js';

export interface FetchRecord {
  url: string;
  ok: boolean;
  /** What came back or why not (`2 certificates, 1423 bytes` / `timeout after 3000 ms`). */
  detail: string;
}

export interface ProbeReport {
  command: 'probe' | 'verify';
  target?: { input: string; host: string; port: number };
  at: Date;
  settings: NginxSettings;
  trust: { source: 'bundle' | 'system'; files: string[]; count: number };
  observation?: ProbeObservation;
  sent: Cert[];
  diagnosis: Diagnosis;
  fetches: FetchRecord[];
  /** Things the user should know that are not findings (ignored private key in a file, ...). */
  notes: string[];
  fix?: FixPlan;
}
