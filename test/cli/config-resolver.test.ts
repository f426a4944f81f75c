/**
 * Which DNS server nginx asks for `server NAME resolve;` (src/cli/config-resolver.ts): a pure lookup in the parsed
 * configuration, so no query is sent here.
 */
import { describe, expect, it } from 'vitest';
import { configResolver } from '../../src/cli/config-resolver.js';
import { indexConfig } from '../../src/nginx/config-index.js';
import { computeEffectiveSettings } from '../../src/nginx/effective-settings.js';
import { parseConfigText } from '../../src/nginx/parse-config.js';

function resolverFor(conf: string, location: string): string | undefined {
  const parsed = parseConfigText(conf, '/etc/nginx/nginx.conf');
  const u = computeEffectiveSettings(parsed, { nginxVersion: '1.30.4' }).upstreams.find((x) => x.location === location)!;
  return configResolver(indexConfig(parsed), u);
}

describe('configResolver', () => {
  const conf = `http {
  resolver 127.0.0.53 valid=30s ipv6=off;
  upstream own { zone z 64k; resolver [::1]:5353; server app.test:443 resolve; }
  upstream inherited { zone y 64k; server app.test:443 resolve; }
  server {
    location /own/ { proxy_pass https://own; }
    location /inherited/ { proxy_pass https://inherited; }
    location /inner/ { resolver 127.0.0.2:5300; proxy_pass https://inherited; }
  }
}`;
  it("the upstream block's own resolver first", () => expect(resolverFor(conf, '/own/')).toBe('[::1]:5353'));
  it('else the innermost around the pass directive, parameters skipped', () => {
    expect(resolverFor(conf, '/inherited/')).toBe('127.0.0.53:53');
    expect(resolverFor(conf, '/inner/')).toBe('127.0.0.2:5300');
  });
  it('none configured: undefined (the system resolver)', () => {
    expect(resolverFor('http { server { location / { proxy_pass https://app.test; } } }', '/')).toBeUndefined();
  });
});
