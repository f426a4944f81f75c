// The baseline for `npm run bench`: the least a script can do to look at an upstream's certificate with node:tls.
import tls from 'node:tls';

const [host, port] = [process.argv[2], Number(process.argv[3])];
const socket = tls.connect({ host, port, rejectUnauthorized: false }, () => {
  const cert = socket.getPeerCertificate(true);
  console.log(cert.subject?.CN ?? '', socket.authorized);
  socket.end();
});
socket.on('error', (e) => {
  console.error(e.message);
  process.exitCode = 1;
});
