/**
 * The HTTP answer of GET / in `serve`: the status page (src/report/status-page.ts) of what the board holds now,
 * with headers that keep it inert. The Content-Security-Policy (CSP Level 3) allows no script, no connection, no
 * image, font, frame or form target at all (default-src 'none'), and exactly one stylesheet: the page's own
 * <style> element, by its SHA-256 (CSP3 §8.3 "hash-source"), not 'unsafe-inline'. So even a hostile certificate
 * subject that escaped escaping could neither run, load, nor restyle anything.
 */
import { createHash } from 'node:crypto';
import { renderStatusPage, STATUS_PAGE_CSS } from '../report/status-page.js';
import type { StatusBoard } from './status-board.js';

export const STATUS_PAGE_CSP = [
  "default-src 'none'",
  `style-src 'sha256-${createHash('sha256').update(STATUS_PAGE_CSS, 'utf8').digest('base64')}'`,
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

export const STATUS_PAGE_CONTENT_TYPE = 'text/html; charset=utf-8';

export interface StatusPageResponse {
  headers: Record<string, string>;
  body: string;
}

/**
 * A page is reused for this long. Rendering is synchronous and grows with the fleet (10,000 targets: ~150 ms and
 * 5.4 MB of HTML, measured): without a cache, a client reloading in a loop would hold the event loop the scrapes
 * share. With it, page views cost at most one render per second, whatever their rate.
 */
export const PAGE_REUSE_MS = 1000;

export function statusPageResponder(board: StatusBoard, o: { now(): Date; refreshMs: number; reuseMs?: number }): (help: string) => StatusPageResponse {
  let cached: { help: string; madeAt: number; page: StatusPageResponse } | undefined;
  return (help) => {
    // Monotonic time for the cache's age: the injected clock may stand still (tests) or jump.
    const t = performance.now();
    if (!cached || cached.help !== help || t - cached.madeAt >= (o.reuseMs ?? PAGE_REUSE_MS)) {
      cached = { help, madeAt: t, page: render(board, o, help) };
    }
    return cached.page;
  };
}

function render(board: StatusBoard, o: { now(): Date; refreshMs: number }, help: string): StatusPageResponse {
  return {
    headers: {
      'Content-Type': STATUS_PAGE_CONTENT_TYPE,
      'Content-Security-Policy': STATUS_PAGE_CSP,
      'X-Content-Type-Options': 'nosniff',
      'Referrer-Policy': 'no-referrer',
    },
    body: renderStatusPage({
      entries: board.entries(),
      now: o.now(),
      ...(o.refreshMs > 0 ? { refreshSeconds: o.refreshMs / 1000 } : {}),
      help,
    }),
  };
}
