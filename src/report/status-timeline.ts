/**
 * The expiry timeline of the status page, pure: inline SVG, one row per target that fails within the next
 * TIMELINE_DAYS days (soonest first), its mark at the day it fails (at the left edge when it already does).
 * Readable without colour: every row names its status, every mark has a <title> and a date beside it, and the
 * table above says the same in words (the SVG is a picture of it, role="img" with a text alternative).
 */
import { DAY_MS } from './days-left.js';
import { escapeHtml, htmlText } from './html-escape.js';
import type { StatusRow } from './status-order.js';

export const TIMELINE_DAYS = 90;
/** Rows drawn at most: the soonest failures; the table lists every target. */
export const TIMELINE_MAX_ROWS = 200;

const WIDTH = 960;
const LABEL_END = 300;
const X0 = 320;
const X1 = 930;
const TOP = 40;
const ROW_H = 22;
const TICK_DAYS = 15;
/** Characters of a target id shown in a row label (the full id is in the mark's <title> and the table). */
const LABEL_CHARS = 34;

function dayText(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

function xOf(ms: number, nowMs: number): number {
  const frac = Math.min(1, Math.max(0, (ms - nowMs) / (TIMELINE_DAYS * DAY_MS)));
  return Math.round((X0 + frac * (X1 - X0)) * 10) / 10;
}

function axis(nowMs: number, bottom: number): string[] {
  const out: string[] = [];
  for (let d = 0; d <= TIMELINE_DAYS; d += TICK_DAYS) {
    const x = xOf(nowMs + d * DAY_MS, nowMs);
    out.push(`<line class="${d === 0 ? 'now' : 'grid'}" x1="${x}" y1="${TOP - 8}" x2="${x}" y2="${bottom}"/>`);
    out.push(`<text x="${x}" y="${TOP - 14}" text-anchor="middle">${d === 0 ? 'now' : `+${d} d`}</text>`);
  }
  out.push(`<text x="${X1}" y="12" text-anchor="end">${dayText(nowMs + TIMELINE_DAYS * DAY_MS)}</text>`);
  return out;
}

function mark(r: StatusRow, i: number, nowMs: number): string {
  const f = r.failure!;
  const y = TOP + i * ROW_H + ROW_H / 2;
  const x = xOf(f.atMs, nowMs);
  const when = f.failingNow ? 'fails now' : `fails ${dayText(f.atMs)}`;
  const id = r.entry.id;
  const label = htmlText(id, LABEL_CHARS);
  const nearEnd = x > X1 - 90;
  return [
    `<g class="mark mark-${r.status.toLowerCase()}" data-target="${escapeHtml(id)}">`,
    `<title>${htmlText(`${id}: ${r.status}, ${when}: ${f.because}`)}</title>`,
    `<text x="${LABEL_END}" y="${y + 4}" text-anchor="end">${r.status} ${label}</text>`,
    `<line class="grid" x1="${X0}" y1="${y}" x2="${x}" y2="${y}"/>`,
    `<circle cx="${x}" cy="${y}" r="6"/>`,
    `<text x="${nearEnd ? x - 10 : x + 10}" y="${y + 4}"${nearEnd ? ' text-anchor="end"' : ''}>${f.failingNow ? 'now' : dayText(f.atMs)}</text>`,
    '</g>',
  ].join('');
}

/** The rows drawn: failing within the window, soonest first (then the page order). */
export function timelineRows(rows: StatusRow[], now: Date): StatusRow[] {
  const end = now.getTime() + TIMELINE_DAYS * DAY_MS;
  return rows
    .map((r, order) => ({ r, order }))
    .filter(({ r }) => r.failure !== undefined && r.failure.atMs <= end)
    .sort((a, b) => a.r.failure!.atMs - b.r.failure!.atMs || a.order - b.order)
    .map(({ r }) => r);
}

export function timelineSvg(rows: StatusRow[], now: Date): string {
  const nowMs = now.getTime();
  const inWindow = timelineRows(rows, now);
  const drawn = inWindow.slice(0, TIMELINE_MAX_ROWS);
  const lines = Math.max(1, drawn.length) + (inWindow.length > drawn.length ? 1 : 0);
  const bottom = TOP + lines * ROW_H;
  const height = bottom + 8;
  const summary = `${inWindow.length} of ${rows.length} target${rows.length === 1 ? '' : 's'} fail${inWindow.length === 1 ? 's' : ''} within ${TIMELINE_DAYS} days (until ${dayText(nowMs + TIMELINE_DAYS * DAY_MS)})`;
  const body = drawn.map((r, i) => mark(r, i, nowMs));
  if (drawn.length === 0) body.push(`<text x="${X0 + 10}" y="${TOP + ROW_H / 2 + 4}">no target fails within ${TIMELINE_DAYS} days</text>`);
  if (inWindow.length > drawn.length) {
    body.push(`<text x="${LABEL_END}" y="${TOP + drawn.length * ROW_H + ROW_H / 2 + 4}" text-anchor="end">${inWindow.length - drawn.length} more: see the table</text>`);
  }
  return [
    `<svg id="timeline" xmlns="http://www.w3.org/2000/svg" role="img" aria-labelledby="timeline-title timeline-desc" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}">`,
    `<title id="timeline-title">When each upstream fails, the next ${TIMELINE_DAYS} days</title>`,
    `<desc id="timeline-desc">${escapeHtml(summary)}</desc>`,
    ...axis(nowMs, bottom),
    ...body,
    '</svg>',
    `<p>${escapeHtml(summary)}.</p>`,
  ].join('\n');
}
