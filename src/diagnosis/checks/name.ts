/**
 * The host name check nginx makes: X509_check_host(leaf, proxy_ssl_name, flags 0) after the chain verified.
 * IP SANs are never consulted (nginx does not call X509_check_ip); the CN counts only without DNS SANs;
 * a wildcard covers one left-most label (NGINX.md). node:crypto's checkHost() is the same OpenSSL call.
 */
import { hostMatches } from '../../certs/host-match.js';
import { isIpLiteral } from '../../nginx/defaults.js';
import type { Finding } from '../codes.js';
import { finding } from '../finding.js';
import type { Check } from '../types.js';

export const checkName: Check = (ctx) => {
  const leaf = ctx.leaf;
  if (!leaf || ctx.nameMatches !== false) return [];
  const { settings } = ctx.input;
  const name = settings.proxySslName;
  const san = leaf.subjectAltNames;
  const dnsNames = san?.dns ?? [];
  const ipAddresses = san?.ip ?? [];
  const bare = name.replace(/^\[|\]$/g, '');
  const out: Finding[] = [
    finding(
      'NAME_MISMATCH',
      {
        name,
        dnsNames,
        ipAddresses,
        commonNames: leaf.commonNames,
        cnConsidered: dnsNames.length === 0,
        nameIsIp: isIpLiteral(name),
        ipSanIgnored: isIpLiteral(name) && ipAddresses.includes(bare),
        sniSent: ctx.input.observation.sni,
      },
      ctx.ref(leaf, 0),
    ),
  ];
  const sniLeaf = ctx.input.sniSent?.[0];
  if (sniLeaf && sniLeaf.sha256 !== leaf.sha256 && hostMatches(sniLeaf, name)) {
    out.push(
      finding(
        'SNI_REQUIRED',
        {
          name,
          withoutSni: leaf.subject,
          withoutSniSha256: leaf.sha256,
          withSni: sniLeaf.subject,
          withSniSha256: sniLeaf.sha256,
        },
        ctx.ref(leaf, 0),
      ),
    );
  }
  return out;
};
