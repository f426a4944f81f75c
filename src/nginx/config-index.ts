/**
 * Finds a directive of a parsed configuration again from its `file:line` (what UpstreamTls and SettingSource
 * carry), with the blocks around it. Used to name the exact lines a fix replaces and to read directives the
 * effective-settings walk does not interpret (`proxy_next_upstream`).
 */
import type { Directive, ParsedConfig } from './parse-config.js';
import { forEachDirective, hasDirectiveBlock } from './walk-config.js';

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

/** The blocks around a directive as a shared parent chain: an index of a deep configuration stays linear. */
interface Link {
  node: Directive;
  parent: Link | null;
}

function ancestorsOf(link: Link | null): Directive[] {
  const out: Directive[] = [];
  for (let l = link; l !== null; l = l.parent) out.push(l.node);
  return out.reverse();
}

export function indexConfig(config: ParsedConfig): ConfigIndex {
  const map = new Map<string, Link | null>();
  const nodes = new Map<string, Directive>();
  const links = new Map<Directive, Link>();
  // Entries of map/geo/types blocks are data, not directives: forEachDirective does not enter them.
  forEachDirective(config.directives, (d, ancestors) => {
    const parent = ancestors.length > 0 ? links.get(ancestors[ancestors.length - 1])! : null;
    if (hasDirectiveBlock(d)) links.set(d, { node: d, parent });
    const k = key(d.name, d.file, d.line);
    if (!nodes.has(k)) {
      nodes.set(k, d);
      map.set(k, parent);
    }
  });
  return {
    find(name, file, line) {
      const k = key(name, file, line);
      const node = nodes.get(k);
      return node ? { node, ancestors: ancestorsOf(map.get(k) ?? null) } : null;
    },
  };
}
