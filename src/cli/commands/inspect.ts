/**
 * `tlsdoctor inspect FILE...`: reads the files (the I/O), renders inspect-report.ts.
 */
import { InputError } from '../../certs/input-error.js';
import { readCertificateBlobsAsync } from '../../certs/load.js';
import { parseCertificate } from '../../certs/parse.js';
import type { Cert } from '../../certs/cert.js';
import { inspectDocument, inspectText, type InspectedFile } from '../../report/inspect-report.js';
import { EXIT } from '../exit-codes.js';
import type { CliIO } from '../io.js';
import { UsageError } from '../usage-error.js';
import { resolve } from 'node:path';
import { CAP, readInputFile } from '../read-input.js';
import { parseAt } from '../at-option.js';

export async function inspectCommand(files: string[], o: { json?: boolean; at?: string }, io: CliIO): Promise<number> {
  const at = parseAt(o.at, io);
  const out: InspectedFile[] = [];
  for (const file of files) {
    const bytes = readInputFile(resolve(io.cwd, file), { label: '', display: file, cap: CAP.certificate, expected: 'a certificate file' });
    let privateKeys = 0;
    const notes: string[] = [];
    const certs: Cert[] = [];
    try {
      const blobs = await readCertificateBlobsAsync(bytes, file);
      privateKeys = blobs.privateKeys;
      notes.push(...blobs.warnings);
      blobs.ders.forEach((der, i) => {
        try {
          certs.push(parseCertificate(der));
        } catch (e) {
          notes.push(`certificate #${i} cannot be parsed: ${(e as Error).message}`);
        }
      });
    } catch (e) {
      if (e instanceof InputError && e.code === 'INPUT_ONLY_PRIVATE_KEY') {
        privateKeys = 1;
        notes.push('holds a private key only (not shown)');
      } else if (e instanceof InputError) {
        throw new UsageError(e.code, e.message, { cause: e });
      } else throw e;
    }
    out.push({ file, certs, privateKeys, notes });
  }
  io.stdout(o.json ? JSON.stringify(inspectDocument(out, at), null, 2) + '\n' : inspectText(out, at));
  return EXIT.OK;
}
