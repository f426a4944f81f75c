/**
 * The three pieces of undici an AIA fetch uses: Agent, buildConnector and request. They are loaded from their own
 * modules (lib/dispatcher/agent.js, lib/core/connect.js, lib/api/api-request.js) instead of undici's index, which
 * also loads fetch, WebSocket, EventSource, caches and mocks: 21-26 ms instead of 64 ms on Node 20, paid by every
 * probe whose server omits an intermediate (measured with `node -e`, undici 7.30.2). undici is pinned
 * (package.json) and has no `exports` map, so these paths are reachable; should a version move them, the index is
 * loaded instead (same API, slower start).
 */
import { createRequire } from 'node:module';
import type { Agent, buildConnector, Dispatcher } from 'undici';

export interface UndiciPieces {
  Agent: typeof Agent;
  buildConnector: typeof buildConnector;
  /** undici.request(url, { dispatcher, ... }) for one absolute URL. */
  request(dispatcher: Dispatcher, url: URL, opts: Omit<Dispatcher.RequestOptions, 'origin' | 'path'>): Promise<Dispatcher.ResponseData>;
}

let loaded: Promise<UndiciPieces> | undefined;
let beforeLoad: (() => void) | undefined;

/** Runs `hook` once, just before undici is first loaded (the CLI tunes its own process there: src/cli/v8-flags.ts). */
export function setUndiciLoadHook(hook: () => void): void {
  beforeLoad = hook;
}

export function loadUndici(): Promise<UndiciPieces> {
  if (!loaded) {
    beforeLoad?.();
    loaded = lean().catch(() => whole());
  }
  return loaded;
}

/** What undici's index does before calling api-request (makeDispatcher): origin and path from the URL. */
function target(url: URL): { origin: string; path: string } {
  return { origin: url.origin, path: url.search ? `${url.pathname}${url.search}` : url.pathname };
}

async function lean(): Promise<UndiciPieces> {
  // require, not import(): undici is CommonJS, and import() would take each file through the ES module loader
  // (resolution, a CommonJS export scan) first: ~8 ms more, measured with --cpu-prof on a probe that fetched.
  const require = createRequire(import.meta.url);
  const pieces = {
    Agent: require('undici/lib/dispatcher/agent.js') as typeof Agent,
    buildConnector: require('undici/lib/core/connect.js') as typeof buildConnector,
    request: require('undici/lib/api/api-request.js') as (this: Dispatcher, opts: Dispatcher.RequestOptions) => Promise<Dispatcher.ResponseData>,
  };
  if (typeof pieces.Agent !== 'function' || typeof pieces.buildConnector !== 'function' || typeof pieces.request !== 'function') {
    throw new Error('undici moved its modules');
  }
  return {
    Agent: pieces.Agent,
    buildConnector: pieces.buildConnector,
    request: (dispatcher, url, opts) => pieces.request.call(dispatcher, { ...opts, ...target(url) }),
  };
}

async function whole(): Promise<UndiciPieces> {
  const undici = await import('undici');
  return {
    Agent: undici.Agent,
    buildConnector: undici.buildConnector,
    request: (dispatcher, url, opts) => undici.request(url, { ...opts, dispatcher }),
  };
}
