// A healthy fixture upstream in its own process; sends its port to the parent.
import { startHealthyUpstream } from './lib.mjs';

const u = await startHealthyUpstream();
process.send(u.port);
process.on('disconnect', () => process.exit(0));
