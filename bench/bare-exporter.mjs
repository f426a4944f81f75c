// The baseline of the serve bench: the least a blackbox-style exporter does per scrape with node:tls. An HTTP
// server whose /probe?target=host:port opens one TLS connection, reads the peer certificate's notAfter and
// answers two metric lines, like blackbox_exporter's tcp prober with tls: true (probe_success,
// probe_ssl_earliest_cert_expiry). Prints its URL on stdout.
import http from 'node:http';
import tls from 'node:tls';

const server = http.createServer((req, res) => {
  const target = new URL(req.url, 'http://x').searchParams.get('target') ?? '';
  const i = target.lastIndexOf(':');
  const answer = (body) => {
    res.writeHead(200, { 'Content-Type': 'text/plain; version=0.0.4', 'Content-Length': Buffer.byteLength(body) });
    res.end(body);
  };
  const s = tls.connect({ host: target.slice(0, i), port: Number(target.slice(i + 1)), rejectUnauthorized: false }, () => {
    const notAfter = Date.parse(s.getPeerCertificate().valid_to) / 1000;
    s.destroy();
    answer(`probe_success 1\nprobe_ssl_earliest_cert_expiry ${notAfter}\n`);
  });
  s.setTimeout(5000, () => s.destroy(new Error('timeout')));
  s.on('error', () => answer('probe_success 0\n'));
});
server.listen(0, '127.0.0.1', () => console.log(`http://127.0.0.1:${server.address().port}`));
process.on('SIGTERM', () => process.exit(0));
