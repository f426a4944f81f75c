// Healthy fixture upstreams in their own process, so that their CPU is not on the measuring process; sends the
// parent the port (no argument: one upstream, a number) or the ports (argument N: N upstreams, an array).
import { startHealthyUpstream } from './lib.mjs';

const n = process.argv[2] === undefined ? undefined : Number(process.argv[2]);
const ports = [];
for (let i = 0; i < (n ?? 1); i++) ports.push((await startHealthyUpstream()).port);
process.send(n === undefined ? ports[0] : ports);
process.on('disconnect', () => process.exit(0));
