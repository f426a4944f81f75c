import { describe, expect, it } from 'vitest';
import { computeEffectiveSettings, type UpstreamTls } from '../../src/nginx/effective-settings.js';
import { defaultUpstreamProtocols, NginxVersionError } from '../../src/nginx/nginx-version.js';
import { parseConfigText, parseNginxDump } from '../../src/nginx/parse-config.js';
import { parseCase, project, readCorpusFile } from './corpus.js';

function settingsOf(conf: string, nginxVersion = '1.22.1'): UpstreamTls[] {
  return computeEffectiveSettings(parseConfigText(conf, '/etc/nginx/nginx.conf'), { nginxVersion }).upstreams;
}

function one(conf: string, nginxVersion?: string): UpstreamTls {
  const list = settingsOf(conf, nginxVersion);
  expect(list).toHaveLength(1);
  return list[0];
}

describe('corpus: expected effective settings', () => {
  // Each case directory is a configuration `nginx -t` (1.22.1) accepts; the .expected.json tables were reviewed
  // line by line against nginx's merge rules (see test/nginx/configs/README.md).
  for (const name of ['debian-site', 'layers', 'traps']) {
    it(name, () => {
      const expected = JSON.parse(readCorpusFile(`${name}.expected.json`));
      const parsed = parseCase(name);
      const result = computeEffectiveSettings(parsed, { nginxVersion: expected.nginxVersion });
      expect(parsed.files.map((f) => f.replace('/etc/nginx/', ''))).toEqual(expected.files);
      expect(result.upstreams.map(project)).toEqual(expected.upstreams);
      expect(result.problems).toEqual([]);
    });
  }

  it('nginx -T output gives the same settings as the files', () => {
    const fromDump = computeEffectiveSettings(parseNginxDump(readCorpusFile('debian-site.nginx-T.txt')), { nginxVersion: '1.22.1' });
    const fromFiles = computeEffectiveSettings(parseCase('debian-site'), { nginxVersion: '1.22.1' });
    expect(fromDump.upstreams).toEqual(fromFiles.upstreams);
  });
});

describe('inheritance', () => {
  it('uses nginx defaults when nothing is set', () => {
    const u = one('http { server { location / { proxy_pass https://10.0.0.1:8443; } } }');
    expect(u.settings.verify).toEqual({ value: false, source: null });
    expect(u.settings.trustedCertificate).toEqual({ value: null, source: null });
    expect(u.settings.verifyDepth).toEqual({ value: 1, source: null });
    expect(u.settings.name).toEqual({ value: null, source: null });
    expect(u.settings.serverName).toEqual({ value: false, source: null });
    expect(u.settings.sessionReuse).toEqual({ value: true, source: null });
    expect(u.settings.ciphers).toEqual({ value: 'DEFAULT', source: null });
    expect(u.settings.protocols).toEqual({ value: ['TLSv1', 'TLSv1.1', 'TLSv1.2'], source: null });
    expect(u.verifiedName).toBe('10.0.0.1');
    expect(u.sni).toBeNull();
  });

  it('takes each setting from the innermost level that sets it, wherever it sits in the block', () => {
    const u = one(`http {
      proxy_ssl_verify_depth 4;
      proxy_ssl_verify on;
      server {
        location /a/ {
          location /a/b/ {
            proxy_pass https://10.0.0.1;
            proxy_ssl_server_name on;
          }
          proxy_ssl_verify_depth 2;
        }
        proxy_ssl_trusted_certificate /etc/ssl/ca.pem;
      }
    }`);
    expect(u.settings.verify.source).toMatchObject({ level: 'http', line: 3 });
    expect(u.settings.verifyDepth).toMatchObject({ value: 2, source: { level: 'location', line: 10 } });
    expect(u.settings.trustedCertificate).toMatchObject({ value: '/etc/ssl/ca.pem', source: { level: 'server', line: 12 } });
    expect(u.settings.serverName).toMatchObject({ value: true, source: { level: 'location', line: 8 } });
    expect(u.location).toBe('/a/b/');
    expect(u.blocks.map((b) => b.args.join(' '))).toEqual(['/a/', '/a/b/']);
  });

  it('replaces array directives instead of merging them (conf_command, protocols)', () => {
    const [outer, inner] = settingsOf(`http {
      proxy_ssl_conf_command Options PrioritizeChaCha;
      proxy_ssl_conf_command Ciphersuites TLS_AES_256_GCM_SHA384;
      proxy_ssl_protocols TLSv1.2;
      proxy_ssl_protocols TLSv1.3;
      server {
        location /outer/ { proxy_pass https://10.0.0.1; }
        location /inner/ {
          proxy_ssl_conf_command Options -SessionTicket;
          proxy_ssl_protocols TLSv1.3;
          proxy_pass https://10.0.0.1;
        }
      }
    }`);
    expect(outer.settings.confCommands.value).toEqual([
      ['Options', 'PrioritizeChaCha'],
      ['Ciphersuites', 'TLS_AES_256_GCM_SHA384'],
    ]);
    // Two protocol lines in one block add up (bitmask slot).
    expect(outer.settings.protocols.value).toEqual(['TLSv1.2', 'TLSv1.3']);
    expect(inner.settings.confCommands.value).toEqual([['Options', '-SessionTicket']]);
    expect(inner.settings.protocols.value).toEqual(['TLSv1.3']);
  });

  it('replaces the trusted bundle entirely at an inner level', () => {
    const [a, b] = settingsOf(`http {
      proxy_ssl_trusted_certificate roots.pem;
      server {
        location /a/ { proxy_pass https://10.0.0.1; }
        location /b/ { proxy_ssl_trusted_certificate extra-intermediate.pem; proxy_pass https://10.0.0.1; }
      }
    }`);
    expect(a.paths.trustedCertificate).toBe('/etc/nginx/roots.pem');
    expect(b.paths.trustedCertificate).toBe('/etc/nginx/extra-intermediate.pem');
  });

  it('gives a proxy_pass inside if or limit_except the enclosing location settings, and flags proxy_ssl_* there', () => {
    const conf = `http { server { location / {
      proxy_ssl_verify on;
      if ($x) { proxy_pass https://10.0.0.2; proxy_ssl_verify off; }
      limit_except GET { proxy_pass https://10.0.0.3; }
      proxy_pass https://10.0.0.1;
    } } }`;
    const r = computeEffectiveSettings(parseConfigText(conf, '/etc/nginx/nginx.conf'), { nginxVersion: '1.22.1' });
    expect(r.upstreams.map((u) => [u.pass, u.settings.verify.value, u.blocks.map((b) => b.name)])).toEqual([
      ['https://10.0.0.2', true, ['location', 'if']],
      ['https://10.0.0.3', true, ['location', 'limit_except']],
      ['https://10.0.0.1', true, ['location']],
    ]);
    expect(r.problems).toEqual([
      { code: 'DIRECTIVE_NOT_ALLOWED', directive: 'proxy_ssl_verify', file: '/etc/nginx/nginx.conf', line: 3, context: 'if' },
    ]);
  });

  it('reports a directive set twice in one block', () => {
    const conf = 'http { server {\n proxy_ssl_verify on;\n proxy_ssl_verify off;\n location / { proxy_pass https://10.0.0.1; } } }';
    const r = computeEffectiveSettings(parseConfigText(conf, '/etc/nginx/nginx.conf'), { nginxVersion: '1.22.1' });
    expect(r.problems).toEqual([{ code: 'DUPLICATE_DIRECTIVE', directive: 'proxy_ssl_verify', file: '/etc/nginx/nginx.conf', line: 3, context: 'server' }]);
  });

  it('ignores plain http upstreams and records nothing for them', () => {
    expect(settingsOf('http { server { location / { proxy_pass http://10.0.0.1; } location /g { grpc_pass grpc://10.0.0.1:50051; } } }')).toEqual([]);
  });
});

describe('upstream resolution and names', () => {
  it('resolves an upstream block to its servers: port 80 when none is written, backup and down noted', () => {
    const u = one(`http {
      upstream backend { server 10.0.2.88:8443 weight=3; server 10.0.2.89 backup; server [::1]:9443 down; server unix:/run/b.sock; }
      server { location / { proxy_pass https://backend/api/; } }
    }`);
    expect(u.upstreamHost).toBe('backend');
    expect(u.upstreamBlock).toMatchObject({ name: 'upstream', args: ['backend'], line: 2 });
    expect(u.servers.map((s) => ({ host: s.host, port: s.port, portDefaulted: s.portDefaulted, backup: s.backup, down: s.down, weight: s.weight, unix: s.unix }))).toEqual([
      { host: '10.0.2.88', port: 8443, portDefaulted: false, backup: false, down: false, weight: 3, unix: undefined },
      { host: '10.0.2.89', port: 80, portDefaulted: true, backup: true, down: false, weight: undefined, unix: undefined },
      { host: '::1', port: 9443, portDefaulted: false, backup: false, down: true, weight: undefined, unix: undefined },
      { host: 'unix:/run/b.sock', port: null, portDefaulted: false, backup: false, down: false, weight: undefined, unix: '/run/b.sock' },
    ]);
    // NGINX.md: the verified name is the block's name; no SNI by default.
    expect(u.verifiedName).toBe('backend');
    expect(u.sni).toBeNull();
  });

  it('uses 443 for a literal https host without a port, and keeps the port in $proxy_host only when not default', () => {
    expect(one('http { server { location / { proxy_pass https://api.example.com/x; } } }')).toMatchObject({
      upstreamHost: 'api.example.com',
      verifiedName: 'api.example.com',
      servers: [{ host: 'api.example.com', port: 443, portDefaulted: true }],
    });
    expect(one('http { server { location / { proxy_pass https://api.example.com:443; } } }').upstreamHost).toBe('api.example.com');
    expect(one('http { server { location / { proxy_pass https://api.example.com:8443; } } }').upstreamHost).toBe('api.example.com:8443');
  });

  it('keeps IPv6 brackets in the verified name and never sends an IP literal as SNI', () => {
    const u = one('http { proxy_ssl_server_name on; server { location / { proxy_pass https://[::1]:8443; } } }');
    expect(u.verifiedName).toBe('[::1]');
    expect(u.sni).toBeNull();
    expect(u.servers[0]).toMatchObject({ host: '::1', port: 8443, address: '[::1]:8443' });
    expect(one('http { proxy_ssl_server_name on; server { location / { proxy_pass https://10.1.2.3; } } }').sni).toBeNull();
  });

  it('strips a port from proxy_ssl_name, and expands $proxy_host / $proxy_port', () => {
    const [a, b, c] = settingsOf(`http { proxy_ssl_server_name on; server {
      location /a { proxy_pass https://10.0.0.1:8443; proxy_ssl_name $proxy_host; }
      location /b { proxy_pass https://10.0.0.1:8443; proxy_ssl_name api.internal:8443; }
      location /c { proxy_pass https://10.0.0.1:8443; proxy_ssl_name "svc-$proxy_port.internal"; }
    } }`);
    expect(a.verifiedName).toBe('10.0.0.1');
    expect(b.verifiedName).toBe('api.internal');
    expect(b.sni).toBe('api.internal');
    expect(c.verifiedName).toBe('svc-8443.internal');
  });

  it('matches upstream block names case-insensitively and verifies the block\'s own spelling', () => {
    const u = one('http { upstream Backend { server 10.0.0.1:443; } server { location / { proxy_pass https://backend; } } }');
    expect(u.upstreamBlock?.args[0]).toBe('Backend');
    expect(u.verifiedName).toBe('Backend');
  });

  it('handles grpcs:// and suwsgi://, which need a port', () => {
    const r = computeEffectiveSettings(
      parseConfigText('http { server {\n location /g { grpc_pass grpcs://10.0.0.1:50051; }\n location /u { uwsgi_pass suwsgi://10.0.0.1; } } }', '/etc/nginx/nginx.conf'),
      { nginxVersion: '1.22.1' },
    );
    expect(r.upstreams.map((u) => [u.directive, u.scheme, u.servers[0].port])).toEqual([
      ['grpc_pass', 'grpcs', 50051],
      ['uwsgi_pass', 'suwsgi', null],
    ]);
    expect(r.problems).toEqual([
      { code: 'NO_PORT_IN_UPSTREAM', directive: 'uwsgi_pass', file: '/etc/nginx/nginx.conf', line: 3, context: 'suwsgi://10.0.0.1' },
    ]);
  });

  it('reads stream proxy_pass only where proxy_ssl is on, with stream-level inheritance', () => {
    const list = settingsOf(`stream {
      proxy_ssl on;
      proxy_ssl_verify on;
      upstream db { server 10.0.0.5:5432; }
      server { listen 5432; proxy_pass db; }
      server { listen 5433; proxy_pass 10.0.0.6:6379; proxy_ssl off; }
    }`);
    expect(list).toHaveLength(1);
    expect(list[0]).toMatchObject({ module: 'stream', location: null, verifiedName: 'db', servers: [{ host: '10.0.0.5', port: 5432 }] });
    expect(list[0].settings.verify.source?.level).toBe('stream');
    expect(list[0].server?.listen).toEqual(['5432']);
  });

  it('reports a stream upstream server without port once, however many servers use the block', () => {
    const conf = 'stream {\n upstream db { server 10.0.0.5; }\n server { listen 1; proxy_pass db; proxy_ssl on; }\n server { listen 2; proxy_pass db; proxy_ssl on; }\n}';
    const parsed = parseConfigText(conf, '/etc/nginx/nginx.conf');
    for (let run = 0; run < 2; run++) {
      const r = computeEffectiveSettings(parsed, { nginxVersion: '1.22.1' });
      expect(r.upstreams).toHaveLength(2);
      expect(r.upstreams[0].servers[0]).toMatchObject({ host: '10.0.0.5', port: null });
      expect(r.problems).toEqual([{ code: 'NO_PORT_IN_UPSTREAM', directive: 'server', file: '/etc/nginx/nginx.conf', line: 2, context: '10.0.0.5' }]);
    }
  });

  it('keeps http and stream upstream namespaces apart', () => {
    const list = settingsOf(`
      http { upstream db { server 10.0.0.1:443; } server { location / { proxy_pass https://db; } } }
      stream { upstream db { server 10.0.0.2:5432; } server { listen 1; proxy_pass db; proxy_ssl on; } }`);
    expect(list.map((u) => u.servers[0].host)).toEqual(['10.0.0.1', '10.0.0.2']);
  });
});

describe('variables', () => {
  it('resolves a variable set once to a literal at server level or in the same location', () => {
    const [a, b] = settingsOf(`http { server {
      set $api https://10.0.0.1:8443;
      location /a { proxy_pass $api; }
      location /b { set $h 10.0.0.2; proxy_pass https://$h/; }
    } }`);
    expect(a.servers[0]).toMatchObject({ host: '10.0.0.1', port: 8443 });
    expect(a.resolvedVariables).toEqual([{ name: 'api', value: 'https://10.0.0.1:8443', file: '/etc/nginx/nginx.conf', line: 2 }]);
    expect(b.upstreamHost).toBe('10.0.0.2');
    expect(b.unresolved).toEqual([]);
  });

  it('never guesses: request variables, maps, sets inside if, parent-location sets, and double definitions stay unresolved', () => {
    const list = settingsOf(`http {
      map $http_x $m { default https://10.0.0.9; }
      server {
        set $twice https://10.0.0.1;
        location /req { proxy_pass https://$http_host; }
        location /map { proxy_pass $m; }
        location /if { if ($arg_a) { set $i https://10.0.0.2; } proxy_pass $i; }
        location /parent { set $p https://10.0.0.3; location /parent/child { proxy_pass $p; } }
        location /twice { set $twice https://10.0.0.4; proxy_pass $twice; }
        location /name { proxy_pass https://10.0.0.5; proxy_ssl_name $host; }
      }
    }`);
    expect(list.map((u) => [u.location, u.unresolved.map((x) => `${x.directive}:${x.variables.join(',')}`), u.verifiedName])).toEqual([
      ['/req', ['proxy_pass:http_host'], null],
      ['/map', ['proxy_pass:m'], null],
      ['/if', ['proxy_pass:i'], null],
      ['/parent/child', ['proxy_pass:p'], null],
      ['/twice', ['proxy_pass:twice'], null],
      ['/name', ['proxy_ssl_name:host'], null],
    ]);
    expect(list[0].scheme).toBe('https');
    expect(list[1].scheme).toBeNull();
    expect(list[0].servers).toEqual([]);
  });

  it('skips a variable target whose literal scheme is plain', () => {
    expect(settingsOf('http { server { location / { proxy_pass http://$host; } } }')).toEqual([]);
  });
});

describe('client-side ssl_trusted_certificate', () => {
  it('is recorded from http/server level for each upstream', () => {
    const u = one('http { server { ssl_trusted_certificate /etc/ssl/chain.pem; location / { proxy_pass https://10.0.0.1; } } }');
    expect(u.clientSideTrustedCertificate).toMatchObject({ value: '/etc/ssl/chain.pem', source: { level: 'server', line: 1 } });
  });
});

describe('nginx version', () => {
  it('sets the default upstream protocols by version', () => {
    expect(defaultUpstreamProtocols('1.9.0')).toEqual(['SSLv3', 'TLSv1', 'TLSv1.1', 'TLSv1.2']);
    expect(defaultUpstreamProtocols('1.22.1')).toEqual(['TLSv1', 'TLSv1.1', 'TLSv1.2']);
    expect(defaultUpstreamProtocols('1.23.3')).toEqual(['TLSv1', 'TLSv1.1', 'TLSv1.2']);
    expect(defaultUpstreamProtocols('1.23.4')).toEqual(['TLSv1', 'TLSv1.1', 'TLSv1.2', 'TLSv1.3']);
    expect(defaultUpstreamProtocols('nginx/1.26.2')).toEqual(['TLSv1', 'TLSv1.1', 'TLSv1.2', 'TLSv1.3']);
    expect(defaultUpstreamProtocols('1.27.3')).toEqual(['TLSv1.2', 'TLSv1.3']);
    expect(defaultUpstreamProtocols('1.28.0')).toEqual(['TLSv1.2', 'TLSv1.3']);
    expect(one('http { server { location / { proxy_pass https://h; } } }', '1.28.0').settings.protocols.value).toEqual(['TLSv1.2', 'TLSv1.3']);
  });

  it('rejects a version it cannot read', () => {
    expect(() => computeEffectiveSettings(parseConfigText('', '/n.conf'), { nginxVersion: 'latest' })).toThrow(NginxVersionError);
  });
});
