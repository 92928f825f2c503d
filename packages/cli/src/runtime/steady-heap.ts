import { setFlagsFromString } from 'node:v8';

/**
 * The hub's long-running commands (`hub serve`, `demo`) keep V8's old generation close to what is
 * live. By default V8 lets it grow to several times the live heap between full collections: a
 * backfill whose live heap is ~45 MB peaked at 300 MB RSS; with a 30% growing factor it stays
 * under 180 MB at the same throughput (`npm run bench`). This module is main's first import
 * because the factor must be set before the heap has grown: set later, the same run peaked at
 * 245 MB. HANDSHAKE_HEAP_GROWING_PERCENT overrides it (0 = V8's default).
 */
const [command, sub] = process.argv.slice(2);
if (command === 'demo' || (command === 'hub' && sub === 'serve')) {
  const percent = Number(process.env.HANDSHAKE_HEAP_GROWING_PERCENT ?? 30);
  if (Number.isInteger(percent) && percent > 0) setFlagsFromString(`--heap-growing-percent=${percent}`);
}
