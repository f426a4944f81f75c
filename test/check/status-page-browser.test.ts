/**
 * The status page in a real headless browser (Debian's `chromium`, installed by .ci/run): it renders, the
 * timeline is drawn, a failing target comes first, and the page's CSP lets its own stylesheet apply (Chromium
 * logs every CSP violation to stderr with --enable-logging=stderr: none may appear).
 *
 * Chromium never reaches the network: its background services are off (no first-run, sync, component update,
 * default apps, background networking), every host name resolves to NOTFOUND but 127.0.0.1, and it gets a
 * temporary profile. Measured with `strace -f -e trace=socket,connect,sendto,sendmsg,write`: its only non-loopback
 * syscall is a connect() of a UDP socket to 2001:4860:4860::8888:443 with nothing sent on it (Chromium's IPv6
 * reachability probe reads the local route that way; a UDP connect puts no packet on the wire).
 * It runs with --no-sandbox because CI runs as root, where Chromium's sandbox refuses to start.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkExternal } from '../helpers/externals.js';
import { startStatusPageServe, type StatusPageServe } from './status-page-setup.js';

const CHROMIUM = '/usr/bin/chromium';
const hasChromium = existsSync(CHROMIUM);
// .ci/run installs it: there a missing chromium fails this suite instead of skipping it.
if (checkExternal(hasChromium ? null : `${CHROMIUM} not found`)) {
  console.log(`skipped: status page browser test (${CHROMIUM} not found; apt-get install chromium to enable)`);
}

const NO_NETWORK = [
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-default-apps',
  '--no-default-browser-check',
  '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1',
];

/** Runs chromium headless once; killed after `timeoutMs`. Async: the page's server lives in this process. */
function chromium(profile: string, args: string[], timeoutMs = 60_000): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((done, fail) => {
    const child = spawn(
      CHROMIUM,
      ['--headless=new', '--no-sandbox', '--disable-gpu', ...NO_NETWORK, `--user-data-dir=${profile}`, '--enable-logging=stderr', '--v=0', ...args],
      { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, HOME: profile } },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('error', fail);
    child.once('close', (code) => {
      clearTimeout(timer);
      done({ code, stdout, stderr });
    });
  });
}

describe.skipIf(!hasChromium)('status page in headless chromium', () => {
  let serve: StatusPageServe;
  let dir: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tlsdoctor-chromium-'));
    serve = await startStatusPageServe();
  }, 60_000);
  afterAll(async () => {
    await serve?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('renders the table with the failing targets first and the SVG timeline with its marks', async () => {
    const r = await chromium(join(dir, 'profile-dom'), ['--dump-dom', `${serve.exporter.url}/`]);
    expect(r.code, r.stderr.slice(-2000)).toBe(0);
    const dom = r.stdout;
    expect(dom).toContain('<table id="targets">');
    const rows = [...dom.matchAll(/<tr class="s-([a-z]+)" data-target="([^"]+)"><td class="status">([A-Z]+)<\/td>/g)].map((m) => [m[2], m[3]]);
    const { healthy, expired, wrongCa } = serve.ids;
    expect(rows).toEqual([...[expired, wrongCa].sort().map((t) => [t, 'CRITICAL']), [healthy, 'OK']]);
    const svg = /<svg id="timeline"[\s\S]*?<\/svg>/.exec(dom)?.[0] ?? '';
    expect(svg).toMatch(/role="img"/);
    const marks = [...svg.matchAll(/<g class="mark mark-([a-z]+)" data-target="([^"]+)">[\s\S]*?<circle cx="([\d.]+)"/g)].map((m) => [m[2], m[1], Number(m[3])]);
    expect(marks).toEqual([...[expired, wrongCa].sort().map((t) => [t, 'critical', 320]), [healthy, 'ok', 320 + Math.round((45 / 90) * 610 * 10) / 10]]);
    expect(r.stderr).not.toMatch(/Content Security Policy/);
  }, 90_000);

  it('paints a screenshot of the page', async () => {
    const png = join(dir, 'status.png');
    const r = await chromium(join(dir, 'profile-shot'), [`--screenshot=${png}`, '--window-size=1200,900', `${serve.exporter.url}/`]);
    expect(r.code, r.stderr.slice(-2000)).toBe(0);
    const bytes = readFileSync(png);
    expect(bytes.subarray(0, 8).toString('hex')).toBe('89504e470d0a1a0a');
    // IHDR: width and height as asked.
    expect([bytes.readUInt32BE(16), bytes.readUInt32BE(20)]).toEqual([1200, 900]);
    expect(r.stderr).not.toMatch(/Content Security Policy/);
  }, 90_000);
});
