/**
 * Change Data Capture latency: a jsforce (faye) subscriber on /data/AccountChangeEvent while
 * accounts are written at BENCH_CDC_RATE (1,000) records/s for BENCH_CDC_SECONDS (5), 10 a call;
 * the time from each change's commit (its commitTimestamp) to its arrival at the subscriber.
 * The alternative it replaces, polling SystemModstamp every second, waits half a second on average.
 * Alone: node --import tsx bench/cdc.ts
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Connection } from 'jsforce';
import { startOrg } from '../packages/org/src/org/start.js';
import { applySetupText } from '../packages/org/src/setup/apply.js';

const RATE = Number(process.env.BENCH_CDC_RATE ?? 1000);
const SECONDS = Number(process.env.BENCH_CDC_SECONDS ?? 5);
const DEMO = fileURLToPath(new URL('../packages/org/setup/demo.yaml', import.meta.url));

export interface CdcBenchResult { rate: number; events: number; p50: number; p99: number; max: number }

export async function benchCdc(log: (line: string) => void): Promise<CdcBenchResult> {
  const dir = mkdtempSync(join(tmpdir(), 'hs-bench-cdc-'));
  const org = await startOrg({ dataDir: dir, setupFile: DEMO, logLevel: false, port: 0 });
  try {
    await applySetupText({ db: org.store.db, box: org.ctx.box, actor: 'bench' }, 'changeDataCapture: [Account]\n', 'cdc.yaml');
    await org.data.reload();
    const app = org.setup!.newApps.find((a) => a.apiName === 'MuleSoft_Integration')!;
    const tokenRes = await fetch(`${org.instanceUrl}/services/oauth2/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ grant_type: 'client_credentials', client_id: app.consumerKey, client_secret: app.consumerSecret }) });
    const token = ((await tokenRes.json()) as { access_token: string }).access_token;
    const conn = new Connection({ instanceUrl: org.instanceUrl, accessToken: token, version: '62.0' });
    const latencies: number[] = [];
    const client = conn.streaming.createClient([]) as unknown as { subscribe(c: string, cb: (m: { payload: { ChangeEventHeader: { commitTimestamp: number } } }) => void): PromiseLike<void>; disconnect(): PromiseLike<void> };
    await client.subscribe('/data/AccountChangeEvent', (m) => latencies.push(Date.now() - m.payload.ChangeEventHeader.commitTimestamp));
    log(`  writing ${RATE} accounts/s for ${SECONDS} s, 10 a call…`);
    const started = Date.now();
    let sent = 0;
    const inflight: Promise<unknown>[] = [];
    while (Date.now() - started < SECONDS * 1000) {
      const due = Math.floor(((Date.now() - started) / 1000) * RATE);
      for (; sent + 10 <= due; sent += 10) {
        const records = Array.from({ length: 10 }, (_, i) => ({ attributes: { type: 'Account' }, Name: `CDC ${sent + i}` }));
        inflight.push(fetch(`${org.instanceUrl}/services/data/v62.0/composite/sobjects`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify({ records }) }).then((r) => r.text()));
      }
      await new Promise((r) => setTimeout(r, 5));
    }
    await Promise.all(inflight);
    const until = Date.now() + 10_000;
    while (latencies.length < sent && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
    await client.disconnect();
    if (latencies.length !== sent) throw new Error(`received ${latencies.length} of ${sent} change events`);
    const sorted = [...latencies].sort((a, b) => a - b);
    const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
    return { rate: sent / SECONDS, events: sent, p50: at(0.5), p99: at(0.99), max: sorted.at(-1)! };
  } finally {
    await org.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  console.log(JSON.stringify(await benchCdc((line) => console.log(`[bench] ${line}`)), null, 2));
}
