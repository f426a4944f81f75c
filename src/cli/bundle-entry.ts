/**
 * The entry point scripts/bundle-cli.mjs bundles into dist/bundle/tlsdoctor.cjs, the file bin/tlsdoctor runs
 * (through a V8 code cache: see bin/tlsdoctor).
 */
export { main } from './main.js';
export { processIO } from './process-io.js';
export { beforeV8FlagsChange } from './v8-flags.js';
