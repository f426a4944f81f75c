/**
 * Finds a directive of a parsed configuration again from its `file:line` (what UpstreamTls and SettingSource
 * carry), with the blocks around it. Used to name the exact lines a fix replaces and to read directives the
 * effective-settings walk does not interpret (`proxy_next_upstream`).
 */
import type { Directive, ParsedConfig } from './parse-config.js';
import { HANDLER_BLOCKS } from './parse-config.js';

export interface IndexedDirective {
  node: Directive;
  /** Enclosing blocks, outermost first (`http`, `server`, `location`...). */
  ancestors: Directive[];
}

export interface ConfigIndex {
  /** The directive named `name` at file:line (the first one, when a line holds several of the same name). */
  find(name: string, file: string, line: number): IndexedDirective | null;
}

const key = (name: string, file: string, line: number) => `${name}\u0000${file}\u0000${line}`;

export function indexConfig(config: ParsedConfig): ConfigIndex {
  const map = new Map<string, IndexedDirective>();
  const walk = (ds: Directive[], ancestors: Directive[]) => {
    for (const d of ds) {
      const k = key(d.name, d.file, d.line);
      if (!map.has(k)) map.set(k, { node: d, ancestors });
      // Entries of map/geo/types blocks are data, not directives.
      if (d.block && d.luaBody === undefined && !HANDLER_BLOCKS.has(d.name)) walk(d.block, [...ancestors, d]);
    }
  };
  walk(config.directives, []);
  return { find: (name, file, line) => map.get(key(name, file, line)) ?? null };
}

