/**
 * What the report says about the client that made the handshakes: nginx's client as modelled (client-model.ts),
 * run on node's OpenSSL. Where the two differ the report says so instead of hiding it (issue 10).
 */
import type { NginxClient } from '../nginx/client-model.js';
import type { ProbeClientReport } from '../report/model.js';

export function clientReport(client: NginxClient): ProbeClientReport {
  const differences = [
    `handshakes made with node's bundled OpenSSL ${process.versions.openssl}; nginx uses the OpenSSL it was built with (nginx -V): ` +
      'the security level is written out (node defaults to 1, Debian and Ubuntu builds to 2)',
    ...client.unmodelled.map((c) => `proxy_ssl_conf_command ${c}: not reproduced by the probe (node cannot set it); nginx applies it`),
  ];
  return { cipherString: client.tls.cipherString, seclevel: client.seclevel, protocols: client.protocols, nodeOpenssl: process.versions.openssl, differences };
}
