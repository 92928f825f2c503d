/** The demo ERP in its own process for the flows benchmark; prints its URLs and the hub's client as a JSON line. */
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { sql } from 'kysely';
import { startErp } from '../packages/demo-erp/src/start.js';
import { addLatency } from './latency.js';

const client = { clientId: 'handshake-hub', clientSecret: randomBytes(24).toString('base64url') };
const erp = await startErp({ dataDir: mkdtempSync(join(tmpdir(), 'hs-bench-erp-')), clients: [client] });
let latencyMs = 0;
addLatency(erp.server.server, () => latencyMs);
console.log(JSON.stringify({ ready: true, url: erp.url, tokenUrl: erp.tokenUrl, ...client }));
for await (const line of createInterface({ input: process.stdin })) {
  if (line.trim() === 'count') {
    // Orders are never deleted, so the largest rowid is the count, read from the b-tree's edge: a
    // COUNT(*) of a growing table, asked 20 times a second, would steal the ERP's own core.
    const row = await sql<{ n: number | null }>`SELECT max(rowid) AS n FROM sales_orders`.execute(erp.store.db);
    console.log(JSON.stringify({ count: Number(row.rows[0]?.n ?? 0) }));
  } else if (line.startsWith('latency ')) {
    latencyMs = Number(line.split(' ')[1]);
    console.log(JSON.stringify({ latencyMs }));
  } else if (line.trim() === 'quit') break;
}
await erp.close();
process.exit(0);
