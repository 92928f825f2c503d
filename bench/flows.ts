/**
 * The flows benchmark: a backfill of orders from the org to the ERP through the hub (the seed's
 * order flow, in a `handshake hub serve` process), side by side in the same run with a minimal
 * hand-written script making the same API calls with no engine (the ceiling). The org and the ERP
 * run pinned to core 0; the hub and the script, in turn, on core 1. Also: the hub's peak RSS over
 * the backfill, and trigger latency (change made → target written) once the flow has caught up.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomBytes } from 'node:crypto';
import type { ChildProcess } from 'node:child_process';
import { startPinned } from './pinned-child.js';
import { openHub } from '../packages/hub/src/start.js';
import { wireDemo } from '../packages/hub/src/demo/wire-demo.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const RECORDS = Number(process.env.BENCH_FLOW_RECORDS ?? 100_000);
// The script's rate is steady after a few thousand records; a 1,000,000-record run (for the hub's
// memory) compares against the script's first 100,000.
const CEILING_RECORDS = Math.min(RECORDS, Number(process.env.BENCH_FLOW_CEILING_RECORDS ?? 100_000));
const LATENCY_SAMPLES = 15;
const POLL_INTERVAL_MS = 1000;


/** CPU time (user + system) a process has used so far, in ms (`/proc` counts 10 ms clock ticks: USER_HZ is 100 on Linux). */
const cpuMs = (pid: number) => {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /, '').split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
};

const peakRssMb = (pid: number) => {
  const match = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return match ? Number(match[1]) / 1024 : NaN;
};

export interface FlowsResult { records: number; hub: number; ceiling: number; ratio: number; hubCpuMsPerRecord: number; ceilingCpuMsPerRecord: number; peakRssMb: number; latencyP50: number; latencyP90: number }

export async function benchFlows(log: (line: string) => void): Promise<FlowsResult> {
  const org = startPinned(0, ['--import', 'tsx', 'bench/data-org-server.ts']);
  const erp = startPinned(0, ['--import', 'tsx', 'bench/erp-server.ts']);
  let hub: ChildProcess | undefined;
  try {
    const o = (await org.next()) as { instanceUrl: string; token: string; consumerKey: string; consumerSecret: string };
    const e = (await erp.next()) as { url: string; tokenUrl: string; clientId: string; clientSecret: string };
    const erpCount = async () => {
      erp.send('count');
      return (await erp.next()).count as number;
    };
    log(`seeding ${RECORDS.toLocaleString('en')} orders with one item each`);
    org.send(`seed-orders ${RECORDS}`);
    await org.next();
    const tokenRes = await fetch(e.tokenUrl, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`${e.clientId}:${e.clientSecret}`).toString('base64')}` }, body: new URLSearchParams({ grant_type: 'client_credentials', resource: e.url, scope: 'erp.read erp.write' }) });
    const erpToken = ((await tokenRes.json()) as { access_token: string }).access_token;

    log('ceiling: the hand-written script (core 1)');
    const profile = process.env.BENCH_HUB_PROFILE ? [`--cpu-prof`, `--cpu-prof-dir=${process.env.BENCH_HUB_PROFILE}`] : [];
    const ceilingChild = startPinned(1, [...profile, '--import', 'tsx', 'bench/flows-ceiling.ts'], { ...process.env, ORG_URL: o.instanceUrl, ORG_TOKEN: o.token, ERP_URL: e.url, ERP_TOKEN: erpToken, RECORDS: String(CEILING_RECORDS) });
    const ceiling = (await ceilingChild.next()) as { recordsPerSecond: number; cpuMsPerRecord: number };
    log(`ceiling: ${ceiling.recordsPerSecond.toFixed(0)} records/s over ${CEILING_RECORDS.toLocaleString('en')} records, ${ceiling.cpuMsPerRecord.toFixed(2)} ms of CPU per record`);

    const data = mkdtempSync(join(tmpdir(), 'hs-bench-hub-'));
    const masterKeys = `1:${randomBytes(32).toString('base64')}`;
    const actor = { name: 'bench' };
    const { ctx, store } = await openHub({ dataDir: data, masterKeys, allowPrivateNetworks: true });
    await wireDemo(ctx, actor, { org: { instanceUrl: o.instanceUrl, consumerKey: o.consumerKey, consumerSecret: o.consumerSecret }, erp: e }, [readFileSync(join(ROOT, 'packages/hub/flows/crm-order-to-erp-sales-order.yaml'), 'utf8')]);
    await store.close();

    log('hub: the order flow in `handshake hub serve` (core 1)');
    const before = await erpCount();
    const started = performance.now();
    const nodeArgs = (process.env.BENCH_HUB_NODE_ARGS ?? '').split(' ').filter(Boolean);
    const hubChild = startPinned(1, [...profile, ...nodeArgs, 'packages/cli/dist/main.js', 'hub', 'serve', '--data', data, '--port', '0', '--allow-private-networks', '--log-level', 'error'], { ...process.env, HANDSHAKE_MASTER_KEYS: masterKeys });
    hub = hubChild.process;
    let last = 0;
    // The hub's CPU is counted from its first synced record, so its start-up is left out.
    let cpuAtFirst: { ms: number; synced: number } | undefined;
    for (;;) {
      const synced = (await erpCount()) - before;
      if (synced > 0) cpuAtFirst ??= { ms: cpuMs(hub.pid!), synced };
      if (synced >= RECORDS) break;
      if (synced - last >= RECORDS / 10) {
        log(`  hub: ${synced.toLocaleString('en')} / ${RECORDS.toLocaleString('en')}`);
        last = synced;
      }
      await new Promise((r) => setTimeout(r, 200));
    }
    const hubRate = RECORDS / ((performance.now() - started) / 1000);
    const rss = peakRssMb(hub.pid!);
    const hubCpu = (cpuMs(hub.pid!) - cpuAtFirst!.ms) / (RECORDS - cpuAtFirst!.synced);
    log(`hub: ${hubRate.toFixed(0)} records/s, peak RSS ${rss.toFixed(0)} MB, ${hubCpu.toFixed(2)} ms of CPU per record`);

    // Trigger latency: an order gets its item (the change that makes it eligible) → its sales order exists.
    const sf = async (path: string, body: unknown) => (await (await fetch(`${o.instanceUrl}/services/data/v62.0${path}`, { method: 'POST', headers: { authorization: `Bearer ${o.token}`, 'content-type': 'application/json' }, body: JSON.stringify(body) })).json()) as { id: string };
    const account = await sf('/sobjects/Account', { Name: 'Latency Co' });
    const latencies: number[] = [];
    for (let i = 0; i < LATENCY_SAMPLES; i++) {
      const order = await sf('/sobjects/Order', { AccountId: account.id, EffectiveDate: '2026-11-23', Status: 'Draft' });
      const count = await erpCount();
      await new Promise((r) => setTimeout(r, Math.random() * POLL_INTERVAL_MS));
      const t = performance.now();
      await sf('/sobjects/OrderItem', { OrderId: order.id, Quantity: 1, UnitPrice: 1, Description: 'latency' });
      while ((await erpCount()) === count) await new Promise((r) => setTimeout(r, 5));
      latencies.push(performance.now() - t);
    }
    latencies.sort((a, b) => a - b);
    const p = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))]!;
    log(`trigger latency: p50 ${p(0.5).toFixed(0)} ms, p90 ${p(0.9).toFixed(0)} ms (poll interval ${POLL_INTERVAL_MS} ms)`);
    return { records: RECORDS, hub: hubRate, ceiling: ceiling.recordsPerSecond, ratio: hubRate / ceiling.recordsPerSecond, hubCpuMsPerRecord: hubCpu, ceilingCpuMsPerRecord: ceiling.cpuMsPerRecord, peakRssMb: rss, latencyP50: p(0.5), latencyP90: p(0.9) };
  } finally {
    hub?.kill(process.env.BENCH_HUB_PROFILE ? 'SIGINT' : 'SIGKILL');
    org.send('quit');
    erp.send('quit');
    await new Promise((r) => setTimeout(r, 1000));
    org.process.kill('SIGKILL');
    erp.process.kill('SIGKILL');
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  console.log(JSON.stringify(await benchFlows((line) => console.log(`[bench] ${line}`)), null, 2));
}
