/**
 * proxy_ssl_verify_depth (default 1) is OpenSSL's verify depth: the number of intermediates allowed between the
 * leaf and the trust anchor. A longer chain fails with 20 or 2 in nginx's log, never with 22 (NGINX.md).
 */
import { finding } from '../finding.js';
import type { Check } from '../types.js';

const CHAIN_CODES = new Set([2, 20, 21, 22]);

export const checkDepth: Check = (ctx) => {
  const { asNginx, unbounded, withCandidates } = ctx;
  const full = unbounded.anchored ? unbounded : withCandidates.anchored ? withCandidates : undefined;
  if (!full) return [];
  const needed = Math.max(0, full.path.length - 2);
  const configured = ctx.input.settings.proxySslVerifyDepth;
  if (needed <= configured) return [];
  const nginxFailsOnChain = asNginx.errors.some((e) => CHAIN_CODES.has(e.code));
  if (!nginxFailsOnChain && full === unbounded) return [];
  return [finding('CHAIN_TOO_DEEP', { neededDepth: needed, configuredDepth: configured, pathLength: full.path.length })];
};
