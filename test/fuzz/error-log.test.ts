/**
 * Fuzzing the nginx error-log reader with mutated lines of the log nginx 1.22.1 wrote (test/nginx/logs):
 * line splitting, the OpenSSL error queue, the upstream field, the explanation of one line and of a whole log.
 * None of these documents an exception (a line that is not understood is null / "unknown"), so any exception
 * is a crash; long repeated fragments look for regular expressions that backtrack into a hang.
 */
import { describe, expect, it } from 'vitest';
import { computeEffectiveSettings } from '../../src/nginx/effective-settings.js';
import { createSettingsLookup, explainLog, explainLogLine, type ExplainOptions } from '../../src/nginx/explain.js';
import { parseErrorLogLine, parseOpensslQueue, parseUpstreamField } from '../../src/nginx/log-line.js';
import { parseConfigText } from '../../src/nginx/parse-config.js';
import {
  deleteChars,
  failureReport,
  fuzz,
  garbleChar,
  insertPiece,
  mutateNumber,
  mutateText,
  previewText,
  truncateText,
  type FuzzResult,
  type Rng,
  type TextMutator,
} from './fuzz-kit.js';
import { errorLogLines, nginxConfigTexts } from './seeds.js';

const LINES = errorLogLines();

/** The settings of the configuration that produced the log, so explanations also go through the lookup. */
const OPTIONS: ExplainOptions = {
  nginxVersion: '1.22.1',
  settings: createSettingsLookup(
    computeEffectiveSettings(parseConfigText(nginxConfigTexts().at(-1)!, '/etc/nginx/nginx.conf'), { nginxVersion: '1.22.1' }).upstreams,
  ),
};

/** Repeats a short fragment of the line hundreds or thousands of times: the shape that makes regexes backtrack. */
const repeatFragment: TextMutator = (rng, t) => {
  if (t.length === 0) return t;
  const at = rng.int(t.length);
  const piece = t.slice(at, at + 1 + rng.int(12));
  return t.slice(0, at) + piece.repeat(100 + rng.int(4000)) + t.slice(at);
};

/** Ends the message with ` in ` and one long word: the tail the `FILE:LINE` reader looks at. */
const longLastWord: TextMutator = (rng, t) => {
  const cut = t.indexOf(', client: ');
  const head = cut >= 0 ? t.slice(0, cut) : t;
  const word = rng.pick(['.conf:1', 'a.conf', ':1', '/', '.conf', 'x']).repeat(1500 + rng.int(4000));
  return `${head} in ${word}${rng.pick(['', ':1', 'x', ':'])}${cut >= 0 ? t.slice(cut) : ''}`;
};

const LOG_MUTATORS: TextMutator[] = [
  insertPiece([
    '"',
    '\\"',
    '\\',
    ', ',
    ': ',
    ', client: ',
    ', upstream: "',
    ', request: "GET /',
    ', host: "',
    ' while ',
    ' while SSL handshaking to upstream',
    ' (SSL: error:0A000086:SSL routines::certificate verify failed)',
    ' error:0A000410:SSL routines::sslv3 alert handshake failure:SSL alert number ',
    ' (18: ',
    ')',
    '(',
    ' in /etc/nginx/nginx.conf:',
    ' in x.conf:',
    '[error] ',
    'nginx: [emerg] ',
    'upstream SSL certificate verify error: (',
    'upstream SSL certificate does not match "',
    'https://[',
    'unix:',
    '*',
    '#',
  ]),
  insertPiece([' ', ':', '.conf', 'error:', 'error:0A:', ', upstream: ', ' in ']),
  repeatFragment,
  longLastWord,
  deleteChars,
  truncateText,
  garbleChar,
  garbleChar,
  mutateNumber,
  mutateNumber,
];

function logLine(rng: Rng): string {
  return mutateText(rng, rng.pick(LINES), LINES, LOG_MUTATORS, 5);
}

function expectClean(r: FuzzResult): void {
  console.log(r.summary);
  expect(r.crashes.length + r.hangs.length, failureReport(r)).toBe(0);
  expect(r.accepted).toBe(r.inputs); // nothing may throw at all
}

describe('fuzz: nginx error log', () => {
  it('one line: parseErrorLogLine, parseOpensslQueue, parseUpstreamField, explainLogLine (with settings)', async () => {
    const r = await fuzz({
      name: 'error-log line',
      iterations: 4000,
      perInputMs: 500,
      generate: logLine,
      run: (line) => {
        const parsed = parseErrorLogLine(line);
        if (parsed !== null) {
          parseOpensslQueue(parsed.message);
          if (parsed.context.upstream !== undefined) parseUpstreamField(parsed.context.upstream);
        }
        parseOpensslQueue(line);
        parseUpstreamField(line);
        const e = explainLogLine(line, OPTIONS);
        // The explanation is plain data (the CLI prints it as JSON): no cycle, no undefined where a value is due.
        if (e !== null) JSON.stringify(e);
        if (e !== null && e.probe.some((p) => p.argv.length === 0)) throw new Error('invariant: an empty probe command');
      },
      expected: () => false,
      preview: (t) => previewText(t),
    });
    expectClean(r);
  });

  it('whole logs: explainLog over mutated multi-line logs', async () => {
    const r = await fuzz({
      name: 'error-log file',
      iterations: 600,
      perInputMs: 500,
      generate: (rng) => {
        const lines = Array.from({ length: 1 + rng.int(30) }, () => (rng.chance(0.5) ? rng.pick(LINES) : logLine(rng)));
        return lines.join(rng.chance(0.8) ? '\n' : '\r\n');
      },
      run: (text) => {
        const s = explainLog(text, OPTIONS);
        if (s.recognised + s.unknown !== s.lines) throw new Error('invariant: line counts do not add up');
        JSON.stringify(s);
      },
      expected: () => false,
      preview: (t) => previewText(t),
    });
    expectClean(r);
  });
});
