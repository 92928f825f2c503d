/**
 * Cluster mode: the same backlog of orders (queued before the workers start) run by 1, 2 and 4
 * `hub serve --cluster` processes on one PostgreSQL store, and by one process without --cluster
 * (the store's own claims) with no added latency, for the queue's own cost. The flow is the seed order flow, one event per
 * call at concurrency 4 per process, against the ERP with BENCH_CLUSTER_LATENCY_MS (default 200 ms) added
 * to every request: the work waits on the network, so two cores do not cap it. Reported: records/s
 * and its ratio to one process, CPU per event (all hub processes), the queue's CPU per event over
 * the single-process engine's (no added latency; hubs and PostgreSQL both, since pg-boss works in
 * the database), and the highest peak RSS of any process.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomBytes } from 'node:crypto';
import { spawn, type ChildProcess } from 'node:child_process';
import pg from 'pg';
import { startPinned, type PinnedChild } from './pinned-child.js';
import { openHub } from '../packages/hub/src/start.js';
import { wireDemo } from '../packages/hub/src/demo/wire-demo.js';
import { pendingEvent, queueEvents } from '../packages/hub/src/flows/engine/event-queue.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
// 200 ms (within the 50–300 ms of real APIs): at 50 ms, four hubs, PostgreSQL and the ERP share two cores and the CPU, not the network, caps the run.
const LATENCY_MS = Number(process.env.BENCH_CLUSTER_LATENCY_MS ?? 200);
const EVENTS = Number(process.env.BENCH_CLUSTER_EVENTS ?? 1500);
const POSTGRES_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

const FLOW = readFileSync(join(ROOT, 'packages/hub/flows/crm-order-to-erp-sales-order.yaml'), 'utf8')
  .replace(/trigger:\n( {2}.*\n)+/, 'trigger: { type: webhook, idPath: Id }\n').replace(/^batch:.*\n/m, '').replace('concurrency: 10', 'concurrency: 4');

const cpuMs = (pid: number) => {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /, '').split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
};
/** CPU of every PostgreSQL server process so far: pg-boss does most of its work there, not in the hub. */
const postgresCpuMs = () => readdirSync('/proc').filter((p) => /^\d+$/.test(p)).reduce((sum, pid) => {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === 'postgres' ? sum + cpuMs(Number(pid)) : sum;
  } catch {
    return sum; // gone meanwhile
  }
}, 0);
const peakRssMb = (pid: number) => Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? NaN) / 1024;

export interface ClusterRun { processes: number; cluster: boolean; recordsPerSecond: number; cpuMsPerEvent: number; postgresCpuMsPerEvent: number; peakRssMb: number }
export interface ClusterResult { latencyMs: number; events: number; runs: ClusterRun[]; single: ClusterRun; clustered: ClusterRun; queueCpuMsPerEvent: number }

async function withAdmin<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: POSTGRES_URL });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

export async function benchCluster(log: (line: string) => void): Promise<ClusterResult> {
  const org = startPinned(0, ['--import', 'tsx', 'bench/data-org-server.ts']);
  const erp = startPinned(0, ['--import', 'tsx', 'bench/erp-server.ts']);
  const dirs: string[] = [];
  const databases: string[] = [];
  const hubs: ChildProcess[] = [];
  const ask = async (child: PinnedChild, line: string) => {
    child.send(line);
    return child.next();
  };
  try {
    const o = (await org.next()) as { instanceUrl: string; consumerKey: string; consumerSecret: string };
    const e = (await erp.next()) as { url: string; tokenUrl: string; clientId: string; clientSecret: string };
    await ask(erp, `latency ${LATENCY_MS}`);
    const erpCount = async () => (await ask(erp, 'count')).count as number;

    const run = async (processes: number, cluster: boolean): Promise<ClusterRun> => {
      const name = `db_bench_${randomBytes(4).toString('hex')}`;
      await withAdmin((c) => c.query(`CREATE DATABASE ${name}`));
      databases.push(name);
      const url = new URL(POSTGRES_URL);
      url.pathname = `/${name}`;
      const data = mkdtempSync(join(tmpdir(), 'hs-bench-cluster-'));
      dirs.push(data);
      const masterKeys = `1:${randomBytes(32).toString('base64')}`;
      // The ERP keeps one sales order per externalRef: each run's refs are its own.
      const prefix = `${processes}${cluster ? 'c' : 's'}-${randomBytes(3).toString('hex')}`;
      // The backlog is queued first (with its jobs, in cluster mode), so every run starts from the same place.
      const { ctx, store } = await openHub({ dataDir: data, databaseUrl: url.href, masterKeys, allowPrivateNetworks: true, ...(cluster ? { cluster: {} } : {}) });
      try {
        await wireDemo(ctx, { name: 'bench' }, { org: { instanceUrl: o.instanceUrl, consumerKey: o.consumerKey, consumerSecret: o.consumerSecret }, erp: e }, [FLOW]);
        const flow = await ctx.db.selectFrom('flows').select('id').executeTakeFirstOrThrow();
        const now = Date.now();
        const events = Array.from({ length: EVENTS }, (_, i) => pendingEvent(flow.id, `${prefix}-${i}`, { Id: `${prefix}-${i}`, EffectiveDate: '2026-12-02', Account: { Name: 'Bench Co' }, OrderItems: { records: [{ Quantity: 1, UnitPrice: 10, Description: 'Bench' }] } }, now, `${prefix}-${i}`));
        await ctx.db.transaction().execute((trx) => queueEvents(trx, ctx.work, events));
      } finally {
        await ctx.work.close();
        await store.close();
      }
      log(`${processes} process${processes > 1 ? 'es' : ''}${cluster ? ' --cluster' : ' (no cluster)'}: ${EVENTS.toLocaleString('en')} queued orders`);
      const before = await erpCount();
      const started = await Promise.all(Array.from({ length: processes }, () => new Promise<ChildProcess>((resolve, reject) => {
        const dir = mkdtempSync(join(tmpdir(), 'hs-bench-cluster-hub-'));
        dirs.push(dir);
        const child = spawn(process.execPath, ['packages/cli/dist/main.js', 'hub', 'serve', '--data', dir, '--database-url', url.href, '--port', '0', '--allow-private-networks', '--log-level', 'error', ...(cluster ? ['--cluster'] : [])], { cwd: ROOT, env: { ...process.env, HANDSHAKE_MASTER_KEYS: masterKeys }, stdio: ['ignore', 'pipe', 'inherit'] });
        hubs.push(child);
        let out = '';
        child.stdout!.on('data', (chunk: Buffer) => {
          out += chunk.toString();
          if (out.includes('API:')) resolve(child);
        });
        child.once('exit', (code) => reject(new Error(`hub exited (${code}): ${out}`)));
      })));
      let first: { t: number; synced: number; cpu: number; pg: number } | undefined;
      for (;;) {
        const synced = (await erpCount()) - before;
        if (synced > 0) first ??= { t: performance.now(), synced, cpu: started.reduce((sum, c) => sum + cpuMs(c.pid!), 0), pg: postgresCpuMs() };
        if (synced >= EVENTS) break;
        await new Promise((r) => setTimeout(r, 50));
      }
      const seconds = (performance.now() - first!.t) / 1000;
      const result: ClusterRun = {
        processes, cluster,
        recordsPerSecond: (EVENTS - first!.synced) / seconds,
        cpuMsPerEvent: (started.reduce((sum, c) => sum + cpuMs(c.pid!), 0) - first!.cpu) / (EVENTS - first!.synced),
        postgresCpuMsPerEvent: (postgresCpuMs() - first!.pg) / (EVENTS - first!.synced),
        peakRssMb: Math.max(...started.map((c) => peakRssMb(c.pid!))),
      };
      for (const child of started) {
        child.removeAllListeners('exit');
        child.kill('SIGKILL');
      }
      log(`  ${result.recordsPerSecond.toFixed(0)} records/s, CPU per event: hubs ${result.cpuMsPerEvent.toFixed(2)} ms, PostgreSQL ${result.postgresCpuMsPerEvent.toFixed(2)} ms; peak RSS ${result.peakRssMb.toFixed(0)} MB`);
      return result;
    };

    const runs = [await run(1, true), await run(2, true), await run(4, true)];
    // The queue's own cost, where it is not hidden under the idle cost of waiting: no added latency,
    // one process with and without --cluster.
    log('no added latency, for the queue\'s own CPU per event:');
    await ask(erp, 'latency 0');
    const single = await run(1, false);
    const clustered = await run(1, true);
    return { latencyMs: LATENCY_MS, events: EVENTS, runs, single, clustered, queueCpuMsPerEvent: clustered.cpuMsPerEvent + clustered.postgresCpuMsPerEvent - single.cpuMsPerEvent - single.postgresCpuMsPerEvent };
  } finally {
    for (const child of hubs) child.kill('SIGKILL');
    org.process.kill();
    erp.process.kill();
    await new Promise((r) => setTimeout(r, 200));
    for (const name of databases) await withAdmin((c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)).catch(() => undefined);
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const result = await benchCluster((line) => console.log(`[bench] ${line}`));
  console.log(JSON.stringify(result));
}
