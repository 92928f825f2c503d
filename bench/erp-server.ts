/** The demo ERP in its own process for the flows benchmark; prints its URLs and the hub's client as a JSON line. */
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { startErp } from '../packages/demo-erp/src/start.js';
import { addLatency } from './latency.js';

const client = { clientId: 'handshake-hub', clientSecret: randomBytes(24).toString('base64url') };
const erp = await startErp({ dataDir: mkdtempSync(join(tmpdir(), 'hs-bench-erp-')), clients: [client] });
let latencyMs = 0;
addLatency(erp.server.server, () => latencyMs);
console.log(JSON.stringify({ ready: true, url: erp.url, tokenUrl: erp.tokenUrl, ...client }));
for await (const line of createInterface({ input: process.stdin })) {
  if (line.trim() === 'count') {
    const row = await erp.store.db.selectFrom('sales_orders').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    console.log(JSON.stringify({ count: Number(row.n) }));
  } else if (line.startsWith('latency ')) {
    latencyMs = Number(line.split(' ')[1]);
    console.log(JSON.stringify({ latencyMs }));
  } else if (line.trim() === 'quit') break;
}
await erp.close();
process.exit(0);
