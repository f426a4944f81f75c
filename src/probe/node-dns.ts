/**
 * node:dns, loaded on first use: a probe of an address literal never resolves a name, and loading the module costs
 * ~0.6 ms of every start-up (measured; a probe is timed against a bare node:tls script). A `require` rather than
 * `import()`: in the bundled CLI an `import()` goes through Node's ES module loader, which costs more than it saves.
 */
import { createRequire } from 'node:module';

type Dns = typeof import('node:dns');
let loaded: Dns | undefined;

export function nodeDns(): Dns {
  loaded ??= createRequire(import.meta.url)('node:dns') as Dns;
  return loaded;
}
