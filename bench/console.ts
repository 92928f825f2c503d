// The console against a hub with many runs, in Chromium: first load, JavaScript size, the runs
// list's answer time (keyset paging) and the page's heap after minutes of live updates.
// Alone: node --import tsx bench/console.ts (BENCH_CONSOLE_RUNS, BENCH_CONSOLE_LIVE_SECONDS).
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { launchChromium } from '../packages/console/test/browser.js';
import { createApiKey } from '../packages/hub/src/api-keys/api-keys.js';
import { createUser } from '../packages/hub/src/people/users.js';
import { startHub } from '../packages/hub/src/start.js';
import type { FlowRunTable } from '../packages/hub/src/store/schema.js';

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

export async function benchConsole(log: (line: string) => void) {
  const runs = Number(process.env.BENCH_CONSOLE_RUNS ?? 1_000_000);
  const liveSeconds = Number(process.env.BENCH_CONSOLE_LIVE_SECONDS ?? 600);
  const dir = mkdtempSync(join(tmpdir(), 'hs-bench-console-'));
  const hub = await startHub({ dataDir: dir, masterKeys: `1:${randomBytes(32).toString('base64')}`, port: 0, logLevel: false, flows: false });
  const browser = await launchChromium();
  try {
    const db = hub.ctx.db;
    const now = Date.now();
    await db.insertInto('flows').values({ id: 'bench-flow', name: 'bench-flow', definition: JSON.stringify({ name: 'bench-flow', trigger: { type: 'webhook' }, actions: [] }), status: 'active', saved_by: null, created_at: now, updated_at: now }).execute();
    const run = (i: number, at: number): FlowRunTable => ({ id: randomUUID(), flow_id: 'bench-flow', event_id: `e${i}`, status: i % 50 === 0 ? 'failed' : 'success', attempt: 1, steps: '[{"action":"send","status":"success","durationMs":3}]', error: i % 50 === 0 ? 'ERP answered 503' : null, started_at: at, duration_ms: 3 });
    const started = Date.now();
    for (let i = 0; i < runs; i += 2000) {
      await db.transaction().execute(async (trx) => {
        for (let j = i; j < Math.min(i + 2000, runs); j += 250) await trx.insertInto('flow_runs').values(Array.from({ length: Math.min(250, runs - j) }, (_, k) => run(j + k, now - (runs - j - k) * 100))).execute();
      });
      if (i % 200_000 === 0) log(`  ${i.toLocaleString('en')} runs written…`);
    }
    log(`  ${runs.toLocaleString('en')} runs written in ${((Date.now() - started) / 1000).toFixed(0)} s`);
    hub.store.refreshStatistics?.();

    // The runs list, answered by the hub: the newest page, and a page deep in the history.
    const key = (await createApiKey(db, 'bench', ['flows:read'], Date.now())).key;
    const get = async (query: string) => {
      const t = performance.now();
      const res = await fetch(`${hub.url}/api/v1/flows/bench-flow/runs?${query}`, { headers: { authorization: `Bearer ${key}` } });
      const body = (await res.json()) as { runs: unknown[] };
      if (res.status !== 200 || body.runs.length === 0) throw new Error(`runs list answered ${res.status}`);
      return performance.now() - t;
    };
    const deep = `limit=50&until=${encodeURIComponent(new Date(now - (runs / 2) * 100).toISOString())}`;
    for (let i = 0; i < 5; i++) await get('limit=50');
    const newest = median(await sequential(20, () => get('limit=50')));
    const deepPage = median(await sequential(20, () => get(deep)));
    const failedOnly = median(await sequential(20, () => get('limit=50&status=failed')));

    // The console: first load of the runs page, then minutes of live updates.
    await createUser(db, { name: 'bench' }, { username: 'bench', password: 'bench password 1', role: 'viewer' }, Date.now());
    const signIn = await fetch(`${hub.url}/api/v1/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'bench', password: 'bench password 1' }) });
    const cookie = /hs_session=([^;]+)/.exec(signIn.headers.get('set-cookie') ?? '')![1]!;
    // One load in a throwaway context first: the browser's own start-up is not the console's.
    const warm = await browser.newContext();
    await warm.addCookies([{ name: 'hs_session', value: cookie, url: hub.url }]);
    await (await warm.newPage()).goto(`${hub.url}/#/flows/bench-flow`, { waitUntil: 'load' });
    await warm.close();
    const context = await browser.newContext();
    await context.addCookies([{ name: 'hs_session', value: cookie, url: hub.url }]);
    const page = await context.newPage();
    const t0 = Date.now();
    await page.goto(`${hub.url}/#/flows/bench-flow`, { waitUntil: 'load' });
    await page.getByRole('cell', { name: 'ERP answered 503' }).first().waitFor();
    const firstLoadMs = Date.now() - t0;
    const jsGzipped = gzippedAssets();

    // The dashboard beside it, in its own tab, redrawing its charts on every refresh.
    const dashboard = await context.newPage();
    await dashboard.goto(`${hub.url}/#/dashboard`, { waitUntil: 'load' });
    await dashboard.getByRole('heading', { name: 'Dashboard' }).waitFor();
    const heapOf = async (of: typeof page) => {
      const cdp = await context.newCDPSession(of);
      await cdp.send('HeapProfiler.collectGarbage');
      const mb = (await cdp.send('Runtime.getHeapUsage')).usedSize / 1024 / 1024;
      await cdp.detach();
      return mb;
    };
    const heap = () => heapOf(page);
    const heapBefore = await heap();
    const dashboardHeapBefore = await heapOf(dashboard);
    log(`  live updates for ${liveSeconds} s (BENCH_CONSOLE_LIVE_SECONDS)…`);
    let live = 0;
    const until = Date.now() + liveSeconds * 1000;
    while (Date.now() < until) {
      await db.insertInto('flow_runs').values(Array.from({ length: 10 }, (_, k) => run(runs + live + k, Date.now()))).execute();
      live += 10;
      await new Promise((r) => setTimeout(r, 1000));
      if (live % 600 === 0) log(`  ${live / 10} s of live runs…`);
    }
    await new Promise((r) => setTimeout(r, 2000));
    const heapAfter = await heap();
    const dashboardHeapAfter = await heapOf(dashboard);
    await context.close();
    return { runs, newestPageMs: newest, deepPageMs: deepPage, failedOnlyMs: failedOnly, firstLoadMs, jsGzippedKb: jsGzipped / 1024, liveSeconds, liveRuns: live, heapBeforeMb: heapBefore, heapAfterMb: heapAfter, dashboardHeapBeforeMb: dashboardHeapBefore, dashboardHeapAfterMb: dashboardHeapAfter };
  } finally {
    await browser.close();
    await hub.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function sequential(n: number, f: () => Promise<number>): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) out.push(await f());
  return out;
}

/** The JavaScript the first page loads (the entry chunk; the editor and charts load on their pages), gzipped. */
function gzippedAssets(): number {
  const dist = fileURLToPath(new URL('../packages/console/dist/', import.meta.url));
  const entry = /src="\/assets\/([^"]+\.js)"/.exec(readFileSync(join(dist, 'index.html'), 'utf8'))![1]!;
  return readdirSync(join(dist, 'assets')).filter((f) => f === entry).reduce((n, f) => n + gzipSync(readFileSync(join(dist, 'assets', f))).length, 0);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const result = await benchConsole((line) => console.log(`[bench] ${line}`));
  console.log(JSON.stringify(result, null, 2));
}
