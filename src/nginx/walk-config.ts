/**
 * Walking a parsed configuration without recursion. nginx itself recurses once per block (ngx_conf_parse), but a
 * JavaScript stack holds far fewer frames than nginx's 8 MiB C stack: when the parser and these walks recursed per
 * block, `tlsdoctor nginx` died of "Maximum call stack size exceeded" at 3,000 nested `location`s, a depth nginx
 * 1.22.1 loads. The parser bounds the depth (parse-config.ts
 * DEFAULT_MAX_BLOCK_DEPTH); these walks hold their path on the heap, so any depth it accepts is walked.
 */
import { HANDLER_BLOCKS, type Directive } from './parse-config.js';

/**
 * Whether a directive's block holds directives: not the data entries of map/geo/types/... (HANDLER_BLOCKS), not
 * a Lua body.
 */
export function hasDirectiveBlock(d: Directive): d is Directive & { block: Directive[] } {
  return d.block !== undefined && d.luaBody === undefined && !HANDLER_BLOCKS.has(d.name);
}

/**
 * Every directive in document order (pre-order), with the blocks around it, outermost first. `ancestors` is the
 * walk's own stack: valid during the call only (copy it to keep it). Descends into blocks `hasDirectiveBlock`
 * accepts.
 */
export function forEachDirective(root: Directive[], visit: (d: Directive, ancestors: readonly Directive[]) => void): void {
  const ancestors: Directive[] = [];
  const pending: { list: Directive[]; next: number }[] = [{ list: root, next: 0 }];
  while (pending.length > 0) {
    const top = pending[pending.length - 1];
    if (top.next >= top.list.length) {
      pending.pop();
      ancestors.pop();
      continue;
    }
    const d = top.list[top.next++];
    visit(d, ancestors);
    if (hasDirectiveBlock(d)) {
      ancestors.push(d);
      pending.push({ list: d.block, next: 0 });
    }
  }
}

/** Every block that holds directives, with its parent (null for the top level), in document order. */
export function forEachBlock(root: Directive[], visit: (children: Directive[], parent: Directive | null, ancestors: readonly Directive[]) => void): void {
  visit(root, null, []);
  forEachDirective(root, (d, ancestors) => {
    if (hasDirectiveBlock(d)) visit(d.block, d, ancestors);
  });
}
