/**
 * Real nginx for tests: one fresh instance per call, temp prefix, 127.0.0.1 on a port the OS chose.
 *
 * Why a fresh instance per case: `proxy_ssl_session_reuse` is on by default and a cached upstream session keeps
 * the verify result of the handshake that created it, so several cases through one nginx depend on request order
 * (shared/NGINX.md, "Session reuse"). The generated http block also sets `proxy_ssl_session_reuse off` unless the
 * caller's config mentions that directive itself.
 *
 * The instance runs with `daemon off; master_process off;`: one process, our child, nothing left behind when it is
 * killed, and no switch to the `nobody` user (which could not read files in the temp prefix). `-e` (nginx >=
 * 1.19.5) sends the start-up messages to our error log too, not to Debian's compiled-in `stderr` default.
 *
 * Which nginx: Debian's /usr/sbin/nginx (NGINX_BIN), plus every build named by TLSDOCTOR_NGINX_BUILDS: a
 * colon-separated list of binaries or of directories holding `<version>/sbin/nginx` (what
 * scripts/build-nginx-matrix.sh makes). nginxBuilds() lists them for describe.each; every function takes the
 * binary to run (`bin`), Debian's by default.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { createServer, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, isAbsolute, join } from 'node:path';

export const NGINX_BIN = '/usr/sbin/nginx';

export interface NginxBuildInfo {
  /** e.g. `1.22.1` */
  version: string;
  /** OpenSSL nginx was built with, e.g. `OpenSSL 3.0.22 25 Aug 2026` */
  builtWithOpenssl: string;
  /** Whole `nginx -V` output. */
  raw: string;
}

/** Why nginx cannot be used here, or null when it can. For `describe.skipIf` with a readable reason. */
export function nginxUnavailableReason(): string | null {
  if (!existsSync(NGINX_BIN)) return `${NGINX_BIN} not found: install Debian's nginx package (.ci/run does)`;
  const r = spawnSync(NGINX_BIN, ['-V'], { encoding: 'utf8' });
  if (r.status !== 0) return `${NGINX_BIN} -V failed: ${r.stderr || r.error?.message}`;
  if (!r.stderr.includes('--with-http_ssl_module')) return `${NGINX_BIN} is built without http_ssl_module`;
  return null;
}

export function nginxAvailable(): boolean {
  return nginxUnavailableReason() === null;
}

const buildInfos = new Map<string, NginxBuildInfo>();
/** `nginx -V` of `bin` (Debian's by default) parsed (it prints to stderr). */
export function nginxBuildInfo(bin: string = NGINX_BIN): NginxBuildInfo {
  const hit = buildInfos.get(bin);
  if (hit) return hit;
  const r = spawnSync(bin, ['-V'], { encoding: 'utf8', timeout: 10_000 });
  const raw = `${r.stderr}${r.stdout}`;
  const version = /nginx version: nginx\/(\S+)/.exec(raw)?.[1];
  const builtWithOpenssl = /built with (OpenSSL [^\n]*)/.exec(raw)?.[1];
  if (!version || !builtWithOpenssl) throw new Error(`cannot parse \`${bin} -V\`:\n${raw}`);
  const info = { version, builtWithOpenssl: builtWithOpenssl.trim(), raw };
  buildInfos.set(bin, info);
  return info;
}

/** One nginx to run the real-nginx tests against. */
export interface NginxBuild extends NginxBuildInfo {
  bin: string;
  /** For test names: `1.30.4` for a matrix build, `1.22.1 (/usr/sbin/nginx)` for Debian's. */
  label: string;
}

/** The variable naming the matrix builds, and the one line printed when it names none. */
export const BUILDS_ENV = 'TLSDOCTOR_NGINX_BUILDS';
export const MATRIX_SKIP_NOTE =
  `nginx version matrix skipped: set ${BUILDS_ENV}=DIR (DIR/<version>/sbin/nginx; scripts/build-nginx-matrix.sh SRC DIR builds them) ` +
  'or a colon-separated list of nginx binaries';

function isExecutableFile(p: string): boolean {
  try {
    return statSync(p).isFile();
  } catch {
    return false;
  }
}

/** The binaries TLSDOCTOR_NGINX_BUILDS names, in version order; a name that holds no nginx is an error. */
export function matrixBuilds(env: NodeJS.ProcessEnv = process.env): NginxBuild[] {
  const bins: string[] = [];
  for (const entry of (env[BUILDS_ENV] ?? '').split(':').filter(Boolean)) {
    if (isExecutableFile(entry)) {
      bins.push(entry);
      continue;
    }
    let names: string[];
    try {
      names = readdirSync(entry);
    } catch {
      throw new Error(`${BUILDS_ENV}: ${entry} is neither an nginx binary nor a directory of <version>/sbin/nginx`);
    }
    for (const n of names) if (isExecutableFile(join(entry, n, 'sbin', 'nginx'))) bins.push(join(entry, n, 'sbin', 'nginx'));
  }
  const builds = bins.map((bin) => ({ ...nginxBuildInfo(bin), bin, label: nginxBuildInfo(bin).version }));
  const key = (b: NginxBuild): number[] => b.version.split('.').map(Number);
  return builds.sort((a, b) => {
    const [x, y] = [key(a), key(b)];
    return x[0] - y[0] || x[1] - y[1] || x[2] - y[2];
  });
}

/**
 * Every nginx to run the real-nginx prediction tests against: Debian's (when installed and usable), then the
 * matrix builds. The same binary twice (a symlink) runs once.
 */
export function nginxBuilds(): NginxBuild[] {
  const out: NginxBuild[] = [];
  if (nginxUnavailableReason() === null) out.push({ ...nginxBuildInfo(), bin: NGINX_BIN, label: `${nginxBuildInfo().version} (${NGINX_BIN})` });
  const seen = new Set(out.map((b) => realpathSync(b.bin)));
  for (const b of matrixBuilds()) {
    const real = realpathSync(b.bin);
    if (seen.has(real)) continue;
    seen.add(real);
    out.push(b);
  }
  return out;
}

/** `-e FILE` exists since nginx 1.19.5; older versions log start-up errors to their compiled-in error log. */
function supportsErrorLogFlag(bin: string): boolean {
  const [maj, min, patch] = nginxBuildInfo(bin).version.split('.').map(Number);
  return maj > 1 || (maj === 1 && (min > 19 || (min === 19 && patch >= 5)));
}

export interface StartNginxParams {
  /**
   * Either an http-block body (server/upstream blocks) or a full nginx.conf (anything with an `events` block).
   * Placeholders: `__PORT__` (the port nginx listens on), `__PREFIX__` (the temp prefix, no trailing slash).
   * Relative file names resolve against the prefix, since nginx.conf lives there (`ngx_conf_full_name`).
   * A full config must keep nginx in the foreground (`daemon off;`) and log to `__PREFIX__/error.log`, which is
   * what errorLog() reads; an http-block body gets all of that, plus `proxy_ssl_session_reuse off`.
   */
  config: string;
  /** Files to write under the prefix before start: relative path → contents. */
  files?: Record<string, string>;
  /** error_log level; default `info` (verify errors are `[error]`, some handshake failures `[crit]`/`[info]`). */
  logLevel?: 'debug' | 'info' | 'notice' | 'warn' | 'error' | 'crit';
  /** The nginx binary; default Debian's NGINX_BIN. */
  bin?: string;
}

export interface NginxResponse {
  status: number;
  body: string;
}

export interface NginxInstance {
  port: number;
  prefix: string;
  /** The full nginx.conf that was started (nginx.conf in the prefix). */
  configText: string;
  /** Contents of the error log so far. */
  errorLog(): string;
  /** Lines of the error log written since the previous `takeErrorLog()` (or since start). */
  takeErrorLog(): string[];
  /** One GET on a fresh connection to 127.0.0.1:port. */
  request(path: string, opts?: { host?: string; timeoutMs?: number }): Promise<NginxResponse>;
  /** Re-read nginx.conf and every file under `prefix` (rewrite them first); resolves once nginx listens again. */
  reload(): Promise<void>;
  stop(): Promise<void>;
}

export class NginxStartError extends Error {
  readonly code = 'NGINX_START_FAILED';
  constructor(
    message: string,
    readonly errorLogText: string,
    readonly configText: string,
  ) {
    super(message);
  }
}

/** A port the OS considers free right now. nginx binds it a moment later; a lost race is retried by startNginx. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      if (addr === null || typeof addr === 'string') return reject(new Error('no port'));
      srv.close(() => resolve(addr.port));
    });
  });
}

function isFullConfig(config: string): boolean {
  return /(^|[\s;}])events\s*\{/.test(config);
}

/** The nginx.conf around an http-block body. */
export function wrapHttpBody(body: string, prefix: string, logLevel: string): string {
  // Debian compiles its temp paths into /var/lib/nginx; nginx creates them at start, so point them into the
  // prefix to keep instances independent of each other and of the packaged service.
  const reuse = /proxy_ssl_session_reuse/.test(body) ? '' : '    proxy_ssl_session_reuse off;\n';
  return `daemon off;
master_process off;
pid ${prefix}/nginx.pid;
error_log ${prefix}/error.log ${logLevel};
events { worker_connections 64; }
http {
    access_log off;
    client_body_temp_path ${prefix}/tmp/client_body;
    proxy_temp_path ${prefix}/tmp/proxy;
    fastcgi_temp_path ${prefix}/tmp/fastcgi;
    uwsgi_temp_path ${prefix}/tmp/uwsgi;
    scgi_temp_path ${prefix}/tmp/scgi;
${reuse}${body}
}
`;
}

function substitute(text: string, port: number, prefix: string): string {
  return text.replaceAll('__PORT__', String(port)).replaceAll('__PREFIX__', prefix);
}

function waitForPort(port: number, child: ChildProcess, timeoutMs: number): Promise<'up' | 'exited'> {
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const attempt = (): void => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve('exited');
      const sock = connect({ host: '127.0.0.1', port });
      sock.once('connect', () => {
        sock.destroy();
        resolve('up');
      });
      sock.once('error', () => {
        sock.destroy();
        if (Date.now() > deadline) return reject(new Error(`nginx did not listen on 127.0.0.1:${port} within ${timeoutMs} ms`));
        setTimeout(attempt, 20);
      });
    };
    attempt();
  });
}

function waitForPidFile(path: string, child: ChildProcess, timeoutMs: number): Promise<'up' | 'exited'> {
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const attempt = (): void => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve('exited');
      if (readIfExists(path).trim() === String(child.pid)) return resolve('up');
      if (Date.now() > deadline) return reject(new Error(`nginx did not write its pid to ${path} within ${timeoutMs} ms`));
      setTimeout(attempt, 10);
    };
    attempt();
  });
}

interface Running {
  child: ChildProcess;
  exited: Promise<void>;
}

/** Spawns nginx on an existing prefix and waits until it listens; on failure kills it and throws (no cleanup). */
async function launch(prefix: string, port: number, configText: string, bin: string): Promise<Running> {
  const confPath = join(prefix, 'nginx.conf');
  const logPath = join(prefix, 'error.log');
  const child = spawn(bin, ['-p', `${prefix}/`, '-c', confPath, ...(supportsErrorLogFlag(bin) ? ['-e', logPath] : [])], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let state: 'up' | 'exited';
  try {
    state = await waitForPort(port, child, 10_000);
    // Something answering on the port is not proof that it is this nginx: another test's process may hold the port
    // freePort() handed out, and this nginx is about to fail its bind(). nginx writes its pid file after opening
    // the listening sockets (main: ngx_init_cycle, then ngx_create_pidfile), so wait for our pid in it.
    const pidFile = /^\s*pid\s+([^;\s]+)\s*;/m.exec(configText)?.[1];
    if (state === 'up' && pidFile && child.pid !== undefined) {
      state = await waitForPidFile(isAbsolute(pidFile) ? pidFile : join(prefix, pidFile), child, 10_000);
    }
  } catch (err) {
    child.kill('SIGKILL');
    await exited;
    const text = readIfExists(logPath) + stderr;
    throw new NginxStartError(`${(err as Error).message}\n${text}`, text, configText);
  }
  if (state === 'exited') {
    await exited;
    const text = readIfExists(logPath) + stderr;
    throw new NginxStartError(`nginx exited during start-up:\n${text}`, text, configText);
  }
  return { child, exited };
}

async function terminate(running: Running): Promise<void> {
  const { child, exited } = running;
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM'); // fast shutdown
  const timer = setTimeout(() => child.kill('SIGKILL'), 3_000);
  await exited;
  clearTimeout(timer);
}

function readIfExists(path: string): string {
  return existsSync(path) ? readFileSync(path, 'utf8') : '';
}

/** Creates the prefix: temp dirs, the caller's files, nginx.conf. Returns the config text. */
function preparePrefix(prefix: string, port: number, params: StartNginxParams): string {
  mkdirSync(join(prefix, 'tmp'), { recursive: true });
  // Where nginx < 1.19.5 (no `-e`) opens its compiled-in error log, relative to `-p`, before reading nginx.conf.
  mkdirSync(join(prefix, 'logs'), { recursive: true });
  for (const [rel, contents] of Object.entries(params.files ?? {})) {
    const p = join(prefix, rel);
    mkdirSync(dirname(p), { recursive: true });
    writeFileSync(p, substitute(contents, port, prefix));
  }
  const raw = substitute(params.config, port, prefix);
  const configText = isFullConfig(raw) ? raw : wrapHttpBody(raw, prefix, params.logLevel ?? 'info');
  writeFileSync(join(prefix, 'nginx.conf'), configText);
  return configText;
}

async function startOnce(params: StartNginxParams): Promise<NginxInstance> {
  const prefix = mkdtempSync(join(tmpdir(), 'tlsdoctor-nginx-'));
  const cleanup = (): void => rmSync(prefix, { recursive: true, force: true });
  const logPath = join(prefix, 'error.log');
  const readLog = (): string => readIfExists(logPath);
  let port: number;
  let configText: string;
  let running: Running;
  try {
    port = await freePort();
    configText = preparePrefix(prefix, port, params);
    writeFileSync(logPath, '');
    running = await launch(prefix, port, configText, params.bin ?? NGINX_BIN);
  } catch (err) {
    cleanup();
    throw err;
  }

  let consumed = 0;
  let stopped = false;
  const instance: NginxInstance = {
    port,
    prefix,
    configText,
    errorLog: readLog,
    takeErrorLog() {
      const text = readLog();
      const fresh = text.slice(consumed);
      consumed = text.length;
      return fresh.split('\n').filter((l) => l.length > 0);
    },
    request(path, opts = {}) {
      return new Promise<NginxResponse>((resolve, reject) => {
        const req = httpRequest(
          {
            host: '127.0.0.1',
            port,
            path,
            method: 'GET',
            agent: false, // a fresh TCP connection per request
            headers: { host: opts.host ?? 'localhost', connection: 'close' },
            timeout: opts.timeoutMs ?? 20_000,
          },
          (res) => {
            let body = '';
            res.setEncoding('utf8');
            res.on('data', (d: string) => (body += d));
            res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
            res.on('error', reject);
          },
        );
        req.on('timeout', () => req.destroy(new Error(`no answer from nginx on 127.0.0.1:${port}${path}`)));
        req.on('error', reject);
        req.end();
      });
    },
    async reload() {
      // A restart in place, not SIGHUP: with `master_process off` nginx 1.22.1 does re-read the config on SIGHUP
      // (ngx_single_process_cycle), but afterwards answered on the listening socket with bytes that are not HTTP
      // (measured); single-process mode is documented as a development mode only. Same prefix, same port, and
      // the error log is appended to, so takeErrorLog() keeps working.
      await terminate(running);
      instance.configText = readIfExists(join(prefix, 'nginx.conf'));
      running = await launch(prefix, port, instance.configText, params.bin ?? NGINX_BIN);
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      await terminate(running);
      cleanup();
    },
  };
  return instance;
}

/** Start a fresh nginx. Retries when another process took the chosen port between probe and bind. */
export async function startNginx(params: StartNginxParams): Promise<NginxInstance> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce(params);
    } catch (err) {
      const addrInUse = err instanceof NginxStartError && /Address already in use/.test(err.errorLogText);
      if (!addrInUse || attempt >= 3) throw err;
    }
  }
}

export interface NginxConfigCheck {
  ok: boolean;
  /** What `nginx -t` printed (it reports on stderr). */
  output: string;
  configText: string;
}

/**
 * `nginx -t` on a config, for the start-up refusals ([emerg] no proxy_ssl_trusted_certificate, missing bundle).
 * Same placeholders and wrapping as startNginx; `__PORT__` becomes a free port.
 */
export async function checkNginxConfig(params: StartNginxParams): Promise<NginxConfigCheck> {
  const prefix = mkdtempSync(join(tmpdir(), 'tlsdoctor-nginx-t-'));
  try {
    const configText = preparePrefix(prefix, await freePort(), params);
    const logPath = join(prefix, 'error.log');
    const bin = params.bin ?? NGINX_BIN;
    const r = spawnSync(bin, ['-t', '-p', `${prefix}/`, '-c', join(prefix, 'nginx.conf'), ...(supportsErrorLogFlag(bin) ? ['-e', logPath] : [])], {
      encoding: 'utf8',
    });
    // `nginx -t` prints its verdict on stderr; the log holds the same [emerg] with a timestamp.
    return { ok: r.status === 0, output: `${r.stderr}${readIfExists(logPath)}`, configText };
  } finally {
    rmSync(prefix, { recursive: true, force: true });
  }
}

export interface ProxyConfigParams {
  /** Port of the TLS upstream on 127.0.0.1. */
  upstreamPort: number;
  /** Host in `proxy_pass https://HOST:PORT`; default 127.0.0.1. Ignored when `upstreamBlock` is set. */
  upstreamHost?: string;
  /** Name of an `upstream NAME { server 127.0.0.1:PORT; }` block to proxy to (then `$proxy_host` = NAME). */
  upstreamBlock?: string;
  /** `proxy_ssl_*` (and other) directives for the location, without the trailing `;` or with it. */
  directives?: string[];
  /** Location path; default `/`. */
  location?: string;
}

/** An http-block body: one server on 127.0.0.1:__PORT__ proxying one location to a TLS upstream. */
export function proxyConfig(p: ProxyConfigParams): string {
  const target = p.upstreamBlock ?? `${p.upstreamHost ?? '127.0.0.1'}:${p.upstreamPort}`;
  const upstream = p.upstreamBlock ? `    upstream ${p.upstreamBlock} { server 127.0.0.1:${p.upstreamPort}; }\n` : '';
  const lines = (p.directives ?? []).map((d) => d.trim().replace(/;?$/, ';'));
  // Bound a silent upstream well under the test timeout (default 60 s, which also bounds the handshake: NGINX.md).
  if (!lines.some((l) => l.startsWith('proxy_connect_timeout'))) lines.push('proxy_connect_timeout 5s;');
  const directives = lines.map((l) => `            ${l}\n`).join('');
  return `${upstream}    server {
        listen 127.0.0.1:__PORT__;
        location ${p.location ?? '/'} {
            proxy_pass https://${target};
${directives}        }
    }`;
}

/** The lines of an error log at `[error]` or worse, stripped of the timestamp/pid prefix and the request context. */
export interface ErrorLogLine {
  level: string;
  /** The message up to and including `while ... upstream` (what tlsdoctor predicts), without `, client: ...`. */
  message: string;
  raw: string;
}

/**
 * Parses lines like
 * `2024/01/01 00:00:00 [error] 123#123: *1 upstream SSL certificate verify error: (21:...) while SSL handshaking
 * to upstream, client: 127.0.0.1, server: , request: "GET / HTTP/1.1", upstream: "https://127.0.0.1:1/", host: "x"`
 * (format from ngx_log_error_core + ngx_http_log_error).
 */
export function parseErrorLog(text: string, minLevel: 'error' | 'crit' | 'warn' = 'warn'): ErrorLogLine[] {
  const order = ['debug', 'info', 'notice', 'warn', 'error', 'crit', 'alert', 'emerg'];
  const min = order.indexOf(minLevel);
  const out: ErrorLogLine[] = [];
  for (const raw of text.split('\n')) {
    const m = /^\S+ \S+ \[(\w+)\] \d+#\d+: (?:\*\d+ )?(.*)$/.exec(raw);
    if (!m) continue;
    const [, level, rest] = m;
    if (order.indexOf(level) < min) continue;
    out.push({ level, message: rest.replace(/, client: .*$/, ''), raw });
  }
  return out;
}

/**
 * One request through a fresh nginx proxying to 127.0.0.1:`upstreamPort` with `directives` in the location: the
 * status and the first upstream line logged at `[warn]` or worse (what tlsdoctor predicts), then nginx is stopped.
 */
export async function proxyOnce(upstreamPort: number, directives: string[], bin?: string): Promise<{ status: number; first: ErrorLogLine | undefined }> {
  const nginx = await startNginx({ config: proxyConfig({ upstreamPort, directives }), ...(bin ? { bin } : {}) });
  try {
    const { status } = await nginx.request('/');
    return { status, first: parseErrorLog(nginx.errorLog())[0] };
  } finally {
    await nginx.stop();
  }
}

/**
 * A logged line as the prediction can be compared with it. nginx before 1.19.8 built against glibc >= 2.32 prints
 * `(111: Unknown error)` instead of the errno text (CHANGES 1.19.8: "some errors were logged as unknown if nginx
 * was built with glibc 2.32"; its errno table is sized at configure time): for those builds, lines compare up to
 * the errno number.
 */
export function comparableLine(version: string, message: string): string {
  const [maj, min, patch] = version.split('.').map(Number);
  const unknownErrnoText = maj === 1 && (min < 19 || (min === 19 && patch < 8));
  return unknownErrnoText ? message.replace(/\((\d+): [^()]*\)/g, '($1: …)') : message;
}
