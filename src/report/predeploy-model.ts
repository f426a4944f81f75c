/**
 * What the pre-deploy check (`tlsdoctor verify --nginx-config`) found, before rendering (predeploy-text.ts).
 * Built by src/cli/run-predeploy.ts.
 */
import type { UpstreamTls } from '../nginx/effective-settings.js';

/** One location judged with the new chain or bundle. */
export interface PredeployRow {
  upstream: UpstreamTls;
  /** The server(s) judged: `--upstream` for a chain, the probed addresses for a bundle. */
  server: string | null;
  /** Would a request to the location still be proxied; null when it could not be judged (`skipped`). */
  ok: boolean | null;
  status: number | null;
  /** The first line nginx would log, `[level] message`, when it fails. */
  line: string | null;
  /** Finding codes of the judgement (diagnosis/codes.ts). */
  codes: string[];
  skipped: string | null;
  notes: string[];
}

export interface PredeployReport {
  /** `chain`: a new upstream chain judged offline; `bundle`: a new bundle judged against the live upstreams. */
  mode: 'chain' | 'bundle';
  chainFile: string | null;
  bundleFile: string | null;
  /** The absolute proxy_ssl_trusted_certificate path the new bundle takes the place of. */
  replaces: string | null;
  upstream: string | null;
  nginxVersion: string;
  nginxVersionSource: string;
  config: string;
  rows: PredeployRow[];
}
