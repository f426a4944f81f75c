/**
 * The DNS server nginx asks for a `server NAME resolve;` line: the `resolver` of the upstream block (nginx 1.27.3+),
 * else the innermost one around the pass directive (http, server, location). Its first address is used, as nginx
 * tries them in turn (`ngx_resolver_create`); `valid=`/`ipv6=` parameters are skipped. Undefined: none configured
 * (nginx then refuses to start: "no resolver defined to resolve"), and the system resolver is used.
 */
import type { ConfigIndex } from '../nginx/config-index.js';
import type { Directive } from '../nginx/parse-config.js';
import type { UpstreamTls } from '../nginx/effective-settings.js';
import { parseResolverAddress } from '../probe/resolve-addresses.js';

function resolverIn(block: Directive[] | undefined): string | undefined {
  const d = (block ?? []).find((x) => x.name === 'resolver');
  const first = d?.args.find((a) => !a.includes('='));
  return first ? (parseResolverAddress(first) ?? undefined) : undefined;
}

export function configResolver(index: ConfigIndex, u: UpstreamTls): string | undefined {
  if (u.upstreamBlock) {
    const block = index.find('upstream', u.upstreamBlock.file, u.upstreamBlock.line)?.node.block;
    const own = resolverIn(block);
    if (own) return own;
  }
  const ancestors = index.find(u.directive, u.file, u.line)?.ancestors ?? [];
  for (let i = ancestors.length - 1; i >= 0; i--) {
    const r = resolverIn(ancestors[i].block);
    if (r) return r;
  }
  return undefined;
}
