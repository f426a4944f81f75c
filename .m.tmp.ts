import { readFileSync } from 'node:fs';
import { readCertificateBlobs, readCertificateBlobsAsync } from './src/certs/load.js';
const [file, mode] = process.argv.slice(2);
const bytes = new Uint8Array(readFileSync(file));
const t0 = performance.now();
let n: number | string;
try { n = (mode === 'async' ? await readCertificateBlobsAsync(bytes, file) : readCertificateBlobs(bytes, file)).ders.length; } catch (e: any) { n = e.code; }
console.log(file.split('/').pop(), mode ?? 'sync', `${(performance.now() - t0).toFixed(0)} ms`, n, `${(bytes.length / 1e6).toFixed(1)} MB`);
