/**
 * The flows benchmark: the seed's order flow (org → ERP) through the hub (`handshake hub serve`,
 * pinned to core 1), side by side in the same run with the script a competent engineer would write
 * with no engine (10 requests in flight, the next page read while one is sent). The org and the ERP
 * run pinned to core 0, and every request they receive waits BENCH_LATENCY_MS (default 50 ms), as
 * a real network would make it wait. Reported:
 *   (a) the hub one event per call at concurrency 10 vs the script: records/s ratio (target ≥ 90%);
 *   (b) the hub with batching (the seed flow) vs the same script (target ≥ 10×);
 *   (c) the hub with batching and no added latency vs 600 records/s, the engine before (target ≥ 5×);
 *   (d) CPU per record, hub vs script; the hub's peak RSS; and, for reference, CPU per record of the
 *       same script sending with undici's request API (the hub's HTTP client) instead of fetch;
 *   (e) trigger latency: item added to an order (its commit) → sales order written, poll interval 1 s;
 *   (f) the same latency with the order flow on Change Data Capture (mode: cdc), on a hub started
 *       caught up (its cursor at the head), so only streaming is measured.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomBytes } from 'node:crypto';
import type { ChildProcess } from 'node:child_process';
import { startPinned, type PinnedChild } from './pinned-child.js';
import { openHub } from '../packages/hub/src/start.js';
import { wireDemo } from '../packages/hub/src/demo/wire-demo.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const LATENCY_MS = Number(process.env.BENCH_LATENCY_MS ?? 50);
/** Orders in the batched runs (and seeded). */
const RECORDS = Number(process.env.BENCH_FLOW_RECORDS ?? 50_000);
/** Orders in the one-event-per-call runs, which move a few hundred a second under latency. */
const PER_RECORD = Math.min(RECORDS, Number(process.env.BENCH_FLOW_PER_RECORD ?? 5_000));
const LATENCY_SAMPLES = 15;
const POLL_INTERVAL_MS = 1000;
/** The engine before this one: 600 records/s on this benchmark with no added latency (README, 2026-11-24). */
const BEFORE_RECORDS_PER_SECOND = 600;

/** CPU time (user + system) a process has used so far, in ms (`/proc` counts 10 ms clock ticks: USER_HZ is 100 on Linux). */
const cpuMs = (pid: number) => {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /, '').split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
};

const peakRssMb = (pid: number) => {
  const match = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return match ? Number(match[1]) / 1024 : NaN;
};

interface Rate { recordsPerSecond: number; cpuMsPerRecord: number }
export interface FlowsResult {
  latencyMs: number;
  records: { perRecord: number; batched: number };
  script: Rate;
  scriptUndici: Rate;
  hubPerRecord: Rate;
  hubBatched: Rate & { peakRssMb: number };
  hubBatchedNoLatency: Rate & { peakRssMb: number };
  ratios: { a: number; b: number; c: number; d: number; dUndici: number };
  triggerLatency: { p50: number; p90: number };
  cdcLatency: { p50: number; p90: number };
}

const SEED_FLOW = readFileSync(join(ROOT, 'packages/hub/flows/crm-order-to-erp-sales-order.yaml'), 'utf8');
const CDC_FLOW = readFileSync(join(ROOT, 'packages/hub/flows/templates/crm-order-to-erp-sales-order-cdc.yaml'), 'utf8');

export async function benchFlows(log: (line: string) => void): Promise<FlowsResult> {
  const org = startPinned(0, ['--import', 'tsx', 'bench/data-org-server.ts']);
  const erp = startPinned(0, ['--import', 'tsx', 'bench/erp-server.ts']);
  const dirs: string[] = [];
  let hub: ChildProcess | undefined;
  const ask = async (child: PinnedChild, line: string) => {
    child.send(line);
    return child.next();
  };
  try {
    const o = (await org.next()) as { instanceUrl: string; token: string; consumerKey: string; consumerSecret: string };
    const e = (await erp.next()) as { url: string; tokenUrl: string; clientId: string; clientSecret: string };
    const erpCount = async () => (await ask(erp, 'count')).count as number;
    const latency = async (ms: number) => {
      await ask(org, `latency ${ms}`);
      await ask(erp, `latency ${ms}`);
    };
    log(`seeding ${RECORDS.toLocaleString('en')} orders with one item each; ${LATENCY_MS} ms added to every org and ERP request`);
    await ask(org, `seed-orders ${RECORDS}`);
    const tokenRes = await fetch(e.tokenUrl, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`${e.clientId}:${e.clientSecret}`).toString('base64')}` }, body: new URLSearchParams({ grant_type: 'client_credentials', resource: e.url, scope: 'erp.read erp.write' }) });
    const erpToken = ((await tokenRes.json()) as { access_token: string }).access_token;
    const profile = process.env.BENCH_HUB_PROFILE ? [`--cpu-prof`, `--cpu-prof-dir=${process.env.BENCH_HUB_PROFILE}`] : [];

    await latency(LATENCY_MS);
    const runScript = async (client: 'fetch' | 'undici') => {
      log(`script (${client}): ${PER_RECORD.toLocaleString('en')} orders, 10 requests in flight (core 1)`);
      const child = startPinned(1, [...profile, '--import', 'tsx', 'bench/flows-ceiling.ts'], { ...process.env, ORG_URL: o.instanceUrl, ORG_TOKEN: o.token, ERP_URL: e.url, ERP_TOKEN: erpToken, RECORDS: String(PER_RECORD), PREFIX: `script-${client}`, IN_FLIGHT: '10', CLIENT: client });
      const rate = (await child.next()) as unknown as Rate;
      log(`script (${client}): ${rate.recordsPerSecond.toFixed(0)} records/s, ${rate.cpuMsPerRecord.toFixed(2)} ms of CPU per record`);
      return rate;
    };
    const script = await runScript('fetch');
    const scriptUndici = await runScript('undici');

    /** A hub process on a fresh store with the order flow (its sales orders marked `name`); `cursor` starts the flow there. */
    const startHub = async (name: string, flow: string, cursor?: string) => {
      const data = mkdtempSync(join(tmpdir(), 'hs-bench-hub-'));
      dirs.push(data);
      const masterKeys = `1:${randomBytes(32).toString('base64')}`;
      const { ctx, store } = await openHub({ dataDir: data, masterKeys, allowPrivateNetworks: true });
      await wireDemo(ctx, { name: 'bench' }, { org: { instanceUrl: o.instanceUrl, consumerKey: o.consumerKey, consumerSecret: o.consumerSecret }, erp: e }, [flow.replace('externalRef: { path: Id }', `externalRef: { template: "${name}-{Id}" }`)]);
      if (cursor) for (const { id } of await ctx.db.selectFrom('flows').select('id').execute()) await ctx.db.insertInto('flow_cursors').values({ flow_id: id, cursor, updated_at: Date.now() }).execute();
      await store.close();
      const nodeArgs = (process.env.BENCH_HUB_NODE_ARGS ?? '').split(' ').filter(Boolean);
      return startPinned(1, [...profile, ...nodeArgs, 'packages/cli/dist/main.js', 'hub', 'serve', '--data', data, '--port', '0', '--allow-private-networks', '--log-level', 'error'], { ...process.env, HANDSHAKE_MASTER_KEYS: masterKeys }).process;
    };

    /** One hub run: a fresh hub store with the order flow, until `count` orders are synced. */
    const runHub = async (name: string, flow: string, count: number, keep = false): Promise<Rate & { peakRssMb: number }> => {
      log(`hub (${name}): ${count.toLocaleString('en')} orders (core 1)`);
      const before = await erpCount();
      const started = performance.now();
      hub = await startHub(name, flow);
      let last = 0;
      // Rate and CPU are counted from the hub's first synced record, so its start-up (loading,
      // migrations, the first token and poll: a second or so) is left out, as the script's is.
      let atFirst: { ms: number; synced: number; t: number } | undefined;
      for (;;) {
        const synced = (await erpCount()) - before;
        if (synced > 0) atFirst ??= { ms: cpuMs(hub.pid!), synced, t: performance.now() };
        if (synced >= count) break;
        if (synced - last >= count / 5) {
          log(`  ${synced.toLocaleString('en')} / ${count.toLocaleString('en')}`);
          last = synced;
        }
        await new Promise((r) => setTimeout(r, 50));
      }
      const rate = (count - atFirst!.synced) / ((performance.now() - atFirst!.t) / 1000);
      const result = { recordsPerSecond: rate, cpuMsPerRecord: (cpuMs(hub.pid!) - atFirst!.ms) / (count - atFirst!.synced), peakRssMb: peakRssMb(hub.pid!) };
      log(`  started in ${((atFirst!.t - started) / 1000).toFixed(1)} s (first record synced)`);
      log(`hub (${name}): ${rate.toFixed(0)} records/s, ${result.cpuMsPerRecord.toFixed(2)} ms of CPU per record, peak RSS ${result.peakRssMb.toFixed(0)} MB`);
      if (!keep) {
        hub.kill(process.env.BENCH_HUB_PROFILE ? 'SIGINT' : 'SIGKILL');
        hub = undefined;
      }
      return result;
    };

    const perRecordFlow = SEED_FLOW.replace(/^batch:.*\n/m, '');
    if (perRecordFlow === SEED_FLOW) throw new Error('the seed flow no longer declares batch:');
    const hubPerRecord = await runHub('per-record', perRecordFlow, PER_RECORD);
    const hubBatched = await runHub('batched', SEED_FLOW, RECORDS, true);

    // (e) with the batched hub caught up: an order gets its item (the change that makes it eligible) → its sales order exists.
    const sf = async (path: string, body: unknown) => (await (await fetch(`${o.instanceUrl}/services/data/v62.0${path}`, { method: 'POST', headers: { authorization: `Bearer ${o.token}`, 'content-type': 'application/json' }, body: JSON.stringify(body) })).json()) as { id: string };
    const account = await sf('/sobjects/Account', { Name: 'Latency Co' });
    const itemToSalesOrder = async (what: string) => {
      const latencies: number[] = [];
      for (let i = 0; i < LATENCY_SAMPLES; i++) {
        const order = await sf('/sobjects/Order', { AccountId: account.id, EffectiveDate: '2026-11-23', Status: 'Draft' });
        const count = await erpCount();
        await new Promise((r) => setTimeout(r, Math.random() * POLL_INTERVAL_MS));
        // From the commit (the write's answer; the org's added latency is before it) to the ERP's write.
        await sf('/sobjects/OrderItem', { OrderId: order.id, Quantity: 1, UnitPrice: 1, Description: 'latency' });
        const t = performance.now();
        while ((await erpCount()) === count) await new Promise((r) => setTimeout(r, 5));
        latencies.push(performance.now() - t);
      }
      latencies.sort((a, b) => a - b);
      const p = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))]!;
      log(`${what}: p50 ${p(0.5).toFixed(0)} ms, p90 ${p(0.9).toFixed(0)} ms (${LATENCY_MS} ms per request)`);
      return { p50: p(0.5), p90: p(0.9) };
    };
    const triggerLatency = await itemToSalesOrder(`trigger latency, polling every ${POLL_INTERVAL_MS} ms`);
    hub?.kill('SIGKILL');
    hub = undefined;

    // (f) the order flow on Change Data Capture, on a hub whose cursor starts at the head.
    hub = await startHub('cdc', CDC_FLOW, JSON.stringify({ stamp: new Date().toISOString(), id: '' }));
    const warm = await sf('/sobjects/Order', { AccountId: account.id, EffectiveDate: '2026-11-23', Status: 'Draft' });
    const count = await erpCount();
    await sf('/sobjects/OrderItem', { OrderId: warm.id, Quantity: 1, UnitPrice: 1, Description: 'warm-up' });
    while ((await erpCount()) === count) await new Promise((r) => setTimeout(r, 20));
    const cdcLatency = await itemToSalesOrder('trigger latency, Change Data Capture');
    hub.kill('SIGKILL');
    hub = undefined;

    await latency(0);
    const hubBatchedNoLatency = await runHub('batched-no-latency', SEED_FLOW, RECORDS);

    const ratios = {
      a: hubPerRecord.recordsPerSecond / script.recordsPerSecond,
      b: hubBatched.recordsPerSecond / script.recordsPerSecond,
      c: hubBatchedNoLatency.recordsPerSecond / BEFORE_RECORDS_PER_SECOND,
      d: hubPerRecord.cpuMsPerRecord / script.cpuMsPerRecord,
      dUndici: hubPerRecord.cpuMsPerRecord / scriptUndici.cpuMsPerRecord,
    };
    return { latencyMs: LATENCY_MS, records: { perRecord: PER_RECORD, batched: RECORDS }, script, scriptUndici, hubPerRecord, hubBatched, hubBatchedNoLatency, ratios, triggerLatency, cdcLatency };
  } finally {
    hub?.kill(process.env.BENCH_HUB_PROFILE ? 'SIGINT' : 'SIGKILL');
    org.send('quit');
    erp.send('quit');
    await new Promise((r) => setTimeout(r, 1000));
    org.process.kill('SIGKILL');
    erp.process.kill('SIGKILL');
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const result = await benchFlows((line) => console.log(`[bench] ${line}`));
  console.log(JSON.stringify(result, null, 2));
}
