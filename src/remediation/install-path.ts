/**
 * Where the plan's proxy_ssl_trusted_certificate line points, for `probe` and `verify` (the `nginx` command's diff
 * decides the same in location-diff.ts `keepsCurrentBundle`).
 *
 * The plan is built with an install path for trusted-ca.pem. When no file is written (no --out) and no
 * --install-path is given, that path names a file that does not exist: pasted as is, `nginx -t` fails with
 * `[emerg] SSL_CTX_load_verify_locations(...) failed` (ngx_ssl_trusted_certificate). So:
 * - the bundle is unchanged (one --ca file and the plan trusts nothing it does not hold): the line names that file,
 *   which nginx already loads;
 * - otherwise the plan says where trusted-ca.pem must be installed before the line works (`trustedFile`).
 */
import { commentLines, nginxArg } from './snippet.js';
import type { FixPlan } from './types.js';

const TRUSTED_LINE = /^proxy_ssl_trusted_certificate\s/;

export interface InstallPathContext {
  /** The --ca files (absolute); the system store when empty. */
  currentBundles: string[];
  /** trusted-ca.pem is written (--out) or its final path was given (--install-path). */
  placed: 'written' | 'install-path' | null;
}

/** Whether the plan trusts nothing beyond the single bundle the user already has. */
function keepsBundle(plan: FixPlan, bundles: string[]): boolean {
  return bundles.length === 1 && plan.trust.length > 0 && plan.trust.every((t) => !t.newlyTrusted);
}

/** The plan with its trusted-certificate line made true to copy (module comment). */
export function placeTrustedFile(plan: FixPlan, ctx: InstallPathContext): FixPlan {
  const i = plan.directives.findIndex((d) => TRUSTED_LINE.test(d.line));
  if (i < 0) return plan;
  if (ctx.placed !== null) return { ...plan, trustedFile: { path: installPathOf(plan.directives[i].line), state: ctx.placed } };
  if (!keepsBundle(plan, ctx.currentBundles)) {
    return { ...plan, trustedFile: { path: installPathOf(plan.directives[i].line), state: 'to-install' } };
  }
  const path = ctx.currentBundles[0];
  const oldLine = plan.directives[i].line;
  const line = `proxy_ssl_trusted_certificate ${nginxArg(path)};`;
  // Without a chain (plan.trustNotNarrowed) nothing shows the bundle holds what a chain needs: keep the plan's why.
  const why = plan.trustNotNarrowed ? plan.directives[i].why : 'your bundle, unchanged: it already holds every certificate the chain needs';
  const directives = plan.directives.map((d, j) => (j === i ? { line, why } : d));
  const files = plan.files.map((f) => {
    if (f.name !== 'upstream-ssl.conf') return f;
    const lines = f.content.split('\n');
    const at = lines.indexOf(oldLine);
    if (at < 0) return f;
    let start = at;
    while (start > 0 && lines[start - 1].startsWith('#')) start--;
    lines.splice(start, at - start + 1, ...commentLines(why), line);
    return { ...f, content: lines.join('\n') };
  });
  return { ...plan, directives, files, trustedFile: { path, state: 'current' } };
}

function installPathOf(line: string): string {
  const arg = line.replace(TRUSTED_LINE, '').replace(/;$/, '').trim();
  return arg.startsWith('"') ? arg.slice(1, -1).replace(/\\(.)/g, '$1') : arg;
}
