/**
 * A `serve` with a status page over real loopback upstreams, for the HTTP and browser tests of GET /: a healthy
 * upstream (OK; its certificates end at VALID_UNTIL, 45 days after the clock used here, so it has a timeline
 * mark), an upstream sending an expired intermediate (CRITICAL), and one whose bundle does not anchor it
 * (CRITICAL, UNKNOWN_CA). The clock is fixed: the rounds check at it, the page is drawn at it.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkAddresses } from '../../src/check/check-addresses.js';
import { startExporter, type RunningExporter } from '../../src/check/exporter.js';
import { createStatusBoard, type StatusBoard } from '../../src/check/status-board.js';
import { statusPageResponder } from '../../src/check/status-page-response.js';
import { cachedCheckDeps, collectTargetSpecs, resolveTarget, resolveTargets } from '../../src/cli/check-targets.js';
import { VALID_UNTIL } from '../../certs-fixtures/clock.js';
import { fixturePath } from '../helpers/fixtures.js';
import { startScenarioServer, type ScenarioServer } from '../helpers/tls-server.js';
import { recordingIO } from './fake-io.js';

export const PAGE_CLOCK = new Date(VALID_UNTIL.getTime() - 45 * 86_400_000);

export interface StatusPageServe {
  exporter: RunningExporter;
  board: StatusBoard;
  addr: Record<'healthy' | 'expired' | 'wrongCa', string>;
  /** Target ids: `name@host:port` when the target verifies a name other than its host (src/cli/check-targets.ts). */
  ids: Record<'healthy' | 'expired' | 'wrongCa', string>;
  close(): Promise<void>;
}

/** Resolves once the first round has checked every target. */
export async function startStatusPageServe(): Promise<StatusPageServe> {
  const dir = mkdtempSync(join(tmpdir(), 'tlsdoctor-status-'));
  const servers: ScenarioServer[] = [];
  let stopServe: (() => Promise<unknown>) | undefined;
  const cleanup = async () => {
    await stopServe?.();
    await Promise.all(servers.map((s) => s.close()));
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    for (const id of ['healthy', 'expired-intermediate', 'wrong-ca-bundle']) servers.push(await startScenarioServer(id));
    const [healthy, expired, wrongCa] = servers.map((s) => `127.0.0.1:${s.port}`);
    const root = fixturePath('root.pem');
    writeFileSync(
      join(dir, 'targets.txt'),
      [`${healthy} ca=${root} name=upstream.test`, `${expired} ca=${root}`, `${wrongCa} ca=${fixturePath('other-root.pem')} name=upstream.test`, ''].join('\n'),
    );
    const io = recordingIO({ cwd: dir, now: () => PAGE_CLOCK });
    const defaults = { ca: [root], timeoutMs: 3000, proxySslName: 'localhost' };
    const listed = resolveTargets(await collectTargetSpecs([], ['targets.txt'], io), defaults);
    const deps = cachedCheckDeps(io);
    const thresholds = { warnMs: 30 * 86_400_000, critMs: 7 * 86_400_000 };
    const now = () => PAGE_CLOCK;
    // As serve does: every address of the name (one here: IP literals), verdicts in `addresses`.
    const check = checkAddresses();
    const board = createStatusBoard({ listed, refreshMs: 3_600_000, concurrency: 4, thresholds, deps, check, now });
    const exporter = await startExporter({
      host: '127.0.0.1',
      port: 0,
      listed,
      targetsOnly: true,
      allowedCa: new Set([root, fixturePath('other-root.pem')]),
      resolveTarget: (spec, id, timeoutMs) => resolveTarget(spec, id, defaults, timeoutMs),
      deps,
      check,
      thresholds,
      defaultTimeoutMs: 3000,
      maxTimeoutMs: 5000,
      cwd: dir,
      now,
      statusPage: statusPageResponder(board, { now, refreshMs: 3_600_000 }),
      onScrape: (t, r, at) => board.recordScrape(t, r, at),
    });
    stopServe = () => Promise.all([board.stop(), exporter.close()]);
    board.start();
    const deadline = Date.now() + 30_000;
    while (board.rounds().completed < 1) {
      if (Date.now() > deadline) throw new Error('the first check round did not finish within 30 s');
      await new Promise((r) => setTimeout(r, 50));
    }
    return {
      exporter,
      board,
      addr: { healthy, expired, wrongCa },
      ids: { healthy: `upstream.test@${healthy}`, expired, wrongCa: `upstream.test@${wrongCa}` },
      close: cleanup,
    };
  } catch (e) {
    await cleanup();
    throw e;
  }
}
