/**
 * src/fetch/undici-pieces.ts: an AIA fetch loads undici's Agent, connector and request from their own modules, not
 * undici's index (which also loads fetch, WebSocket, caches, mocks: ~40 ms more of a probe on Node 20), and runs the
 * CLI's hook once before loading (src/cli/v8-flags.ts). Observed in a child process: the module cache is process-wide.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const PIECES = fileURLToPath(new URL('../../src/fetch/undici-pieces.ts', import.meta.url));
const FLAGS = fileURLToPath(new URL('../../src/cli/v8-flags.ts', import.meta.url));

function child(body: string): Record<string, unknown> {
  const script = `
    import { createRequire } from 'node:module';
    const require = createRequire(import.meta.url);
    const undiciFiles = () => Object.keys(require.cache).filter((k) => k.includes('/node_modules/undici/')).map((k) => k.split('/node_modules/undici/')[1]);
    ${body}`;
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8', timeout: 30_000 });
  expect(r.status, r.stderr).toBe(0);
  return JSON.parse(r.stdout.trim().split('\n').pop()!);
}

describe('undici, as an AIA fetch loads it', () => {
  it("loads Agent, buildConnector and request from their own modules, never undici's index", () => {
    const out = child(`
      const { loadUndici } = await import(${JSON.stringify(PIECES)});
      const u = await loadUndici();
      const agent = new u.Agent({ connect: u.buildConnector({ timeout: 1000 }) });
      await agent.close();
      console.log(JSON.stringify({ files: undiciFiles(), request: typeof u.request }));`);
    const files = out.files as string[];
    expect(files).toContain('lib/dispatcher/agent.js');
    expect(files).toContain('lib/api/api-request.js');
    expect(files).not.toContain('index.js');
    expect(files.some((f) => f.startsWith('lib/web/fetch/') || f.startsWith('lib/web/websocket/'))).toBe(false);
    expect(out.request).toBe('function');
  });

  it("runs the load hook once, before any of undici is loaded", () => {
    const out = child(`
      const { loadUndici, setUndiciLoadHook } = await import(${JSON.stringify(PIECES)});
      const seen = [];
      setUndiciLoadHook(() => seen.push(undiciFiles().length));
      await loadUndici();
      await loadUndici();
      console.log(JSON.stringify({ seen, after: undiciFiles().length }));`);
    expect(out.seen).toEqual([0]);
    expect(out.after).toBeGreaterThan(0);
  });

  it('the CLI hook makes WebAssembly Liftoff-only where V8 is 11 (Node 20), and records that it changed a flag', () => {
    const out = child(`
      const { quickWasmForShortRuns, v8FlagsChanged } = await import(${JSON.stringify(FLAGS)});
      const before = v8FlagsChanged();
      quickWasmForShortRuns();
      console.log(JSON.stringify({ before, after: v8FlagsChanged(), v8: process.versions.v8 }));`);
    expect(out.before).toBe(false);
    expect(out.after).toBe(Number(String(out.v8).split('.')[0]) <= 11);
  });
});
