/**
 * Where the committed fixture PKI lives: certs-fixtures/ at the package root, two levels above this file both
 * in src/demo/ (tests) and dist/demo/ (the installed CLI).
 */
import { fileURLToPath } from 'node:url';

export const FIXTURES_DIR = fileURLToPath(new URL('../../certs-fixtures/', import.meta.url));
export const PKI_DIR = fileURLToPath(new URL('../../certs-fixtures/pki/', import.meta.url));
