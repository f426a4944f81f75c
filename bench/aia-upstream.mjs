// An upstream that omits its intermediate, whose leaf names a loopback AIA URL serving it (DER), in its own process
// (see upstream-process.mjs). The PKI is made here with the openssl command, because the URL carries the HTTP
// server's port; sends the parent { port, root } (the TLS port, the root's PEM file), or { skipped } without openssl.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tls from 'node:tls';

const dir = mkdtempSync(join(tmpdir(), 'tlsdoctor-bench-aia-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
const openssl = (...args) => spawnSync('openssl', args, { cwd: dir, encoding: 'utf8' });
if (openssl('version').status !== 0) {
  process.send({ skipped: 'no openssl command' });
  process.exit(0);
}
const http1 = http.createServer((_req, res) => {
  res.writeHead(200, { 'content-type': 'application/pkix-cert' });
  res.end(readFileSync(join(dir, 'int.der')));
});
await new Promise((r) => http1.listen(0, '127.0.0.1', r));
const aiaPort = http1.address().port;
writeFileSync(
  join(dir, 'ext.cnf'),
  ['[ca]', 'basicConstraints=critical,CA:true', 'keyUsage=critical,keyCertSign,cRLSign', 'subjectKeyIdentifier=hash', 'authorityKeyIdentifier=keyid',
    '[leaf]', 'basicConstraints=CA:false', 'keyUsage=critical,digitalSignature', 'extendedKeyUsage=serverAuth', 'subjectAltName=DNS:aia.test',
    `authorityInfoAccess=caIssuers;URI:http://127.0.0.1:${aiaPort}/int.der`, 'subjectKeyIdentifier=hash', 'authorityKeyIdentifier=keyid', ''].join('\n'),
);
const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];
for (const step of [
  ['req', '-x509', ...ec, '-keyout', 'root.key', '-out', 'root.pem', '-subj', '/CN=Bench AIA Root', '-days', '3650', '-addext', 'basicConstraints=critical,CA:true', '-addext', 'keyUsage=critical,keyCertSign'],
  ['req', ...ec, '-keyout', 'int.key', '-out', 'int.csr', '-subj', '/CN=Bench AIA Intermediate'],
  ['x509', '-req', '-in', 'int.csr', '-CA', 'root.pem', '-CAkey', 'root.key', '-set_serial', '2', '-out', 'int.pem', '-days', '3000', '-extfile', 'ext.cnf', '-extensions', 'ca'],
  ['req', ...ec, '-keyout', 'leaf.key', '-out', 'leaf.csr', '-subj', '/CN=aia.test'],
  ['x509', '-req', '-in', 'leaf.csr', '-CA', 'int.pem', '-CAkey', 'int.key', '-set_serial', '3', '-out', 'leaf.pem', '-days', '2000', '-extfile', 'ext.cnf', '-extensions', 'leaf'],
  ['x509', '-in', 'int.pem', '-outform', 'DER', '-out', 'int.der'],
]) {
  const r = openssl(...step);
  if (r.status !== 0) throw new Error(`openssl ${step[0]}: ${r.stderr}`);
}
const server = tls.createServer({ cert: readFileSync(join(dir, 'leaf.pem')), key: readFileSync(join(dir, 'leaf.key')) }, (s) => {
  s.on('error', () => {});
  s.once('data', () => s.end('HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n'));
});
server.on('tlsClientError', () => {});
await new Promise((r) => server.listen(0, '127.0.0.1', 511, r));
process.send({ port: server.address().port, root: join(dir, 'root.pem') });
process.on('disconnect', () => process.exit(0));
