/**
 * Files through External Services: ContentVersions attached to Salesforce orders moved into the
 * demo ERP's documents, by the hub's `order-files-to-erp` flow (file.upload, streamed) and by a
 * hand-written script that does the same with fetch (read VersionData, PUT it to the ERP as it
 * arrives, two files in flight like the flow's concurrency). The org, the ERP and the mover share
 * one process in both runs, so the ratio is the hub's own cost. Reported: MB/s, CPU per MB of this
 * process, and its peak RSS growth.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEMO_SETUP_FILE, startOrg } from '../packages/org/src/org/start.js';
import { startErp } from '../packages/demo-erp/src/start.js';
import { startHub } from '../packages/hub/src/start.js';
import { wireDemo } from '../packages/hub/src/demo/wire-demo.js';
import { attachFile } from '../packages/hub/test/attach-file.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const MB = 1024 * 1024;
const FILES = Number(process.env.BENCH_FILES ?? 8);
const FILE_MB = Number(process.env.BENCH_FILE_MB ?? 25);
const IN_FLIGHT = 2;

export interface FilesRun { seconds: number; mbPerSecond: number; cpuMsPerMb: number; rssGrowthMb: number }
export interface FilesResult { files: number; fileMb: number; hub: FilesRun; script: FilesRun; ratio: number }

/** Runs `work`, timing it and sampling this process's CPU and RSS. */
async function measured(totalMb: number, work: () => Promise<void>): Promise<FilesRun> {
  const base = process.memoryUsage().rss;
  let peak = base;
  const sampler = setInterval(() => { peak = Math.max(peak, process.memoryUsage().rss); }, 20);
  const cpu = process.cpuUsage();
  const started = performance.now();
  try {
    await work();
  } finally {
    clearInterval(sampler);
  }
  const seconds = (performance.now() - started) / 1000;
  const used = process.cpuUsage(cpu);
  return { seconds, mbPerSecond: totalMb / seconds, cpuMsPerMb: (used.user + used.system) / 1000 / totalMb, rssGrowthMb: (peak - base) / MB };
}

export async function benchFiles(log: (line: string) => void): Promise<FilesResult> {
  const dir = mkdtempSync(join(tmpdir(), 'hs-bench-files-'));
  const org = await startOrg({ dataDir: join(dir, 'org'), setupFile: DEMO_SETUP_FILE, logLevel: false });
  const client = { clientId: 'handshake-hub', clientSecret: randomBytes(24).toString('base64url') };
  const erp = await startErp({ dataDir: join(dir, 'erp'), clients: [client] });
  const hub = await startHub({ dataDir: join(dir, 'hub'), masterKeys: `1:${randomBytes(32).toString('base64')}`, allowPrivateNetworks: true, logLevel: false, consoleDir: false, flows: { idleMs: 20 } });
  try {
    const app = org.setup!.newApps.find((a) => a.apiName === 'MuleSoft_Integration')!;
    const tokenOf = async (url: string, body: Record<string, string>, basic?: string) => {
      const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', ...(basic ? { authorization: `Basic ${basic}` } : {}) }, body: new URLSearchParams(body) });
      return ((await res.json()) as { access_token: string }).access_token;
    };
    const orgToken = await tokenOf(`${org.instanceUrl}/services/oauth2/token`, { grant_type: 'client_credentials', client_id: app.consumerKey, client_secret: app.consumerSecret });
    const erpToken = await tokenOf(erp.tokenUrl, { grant_type: 'client_credentials', resource: erp.url, scope: 'erp.read erp.write' }, Buffer.from(`${client.clientId}:${client.clientSecret}`).toString('base64'));
    const sf = async <T>(method: string, path: string, body?: unknown): Promise<T> => {
      const res = await fetch(`${org.instanceUrl}/services/data/v62.0${path}`, { method, headers: { authorization: `Bearer ${orgToken}`, 'content-type': 'application/json' }, ...(body ? { body: JSON.stringify(body) } : {}) });
      if (!res.ok) throw new Error(`org: ${res.status} ${await res.text()}`);
      return (await res.json()) as T;
    };
    const erpCall = (method: string, path: string, init: RequestInit = {}) => fetch(`${erp.url}${path}`, { ...init, method, headers: { authorization: `Bearer ${erpToken}`, ...(init.headers as Record<string, string> | undefined) } });

    // Each order has its ERP sales order (externalRef = the Order Id) and one file.
    log(`  attaching ${FILES} files of ${FILE_MB} MB to ${FILES} orders…`);
    const account = (await sf<{ id: string }>('POST', '/sobjects/Account', { Name: 'Files bench' })).id;
    const files: { orderId: string; versionId: string }[] = [];
    for (let i = 0; i < FILES; i++) {
      const orderId = (await sf<{ id: string }>('POST', '/sobjects/Order', { AccountId: account, EffectiveDate: '2026-12-03', Status: 'Draft' })).id;
      const made = await erpCall('POST', '/sales-orders', { headers: { 'content-type': 'application/json' }, body: JSON.stringify({ customer: 'Files bench', externalRef: orderId, orderDate: '2026-12-03', lines: [{ product: 'x', quantity: 1, unitPrice: 1 }] }) });
      if (!made.ok) throw new Error(`ERP: ${made.status}`);
      files.push({ orderId, versionId: await attachFile({ instanceUrl: org.instanceUrl, token: orgToken, fields: { Title: `File ${i}`, PathOnClient: `file-${i}.pdf`, FirstPublishLocationId: orderId }, size: FILE_MB * MB }) });
    }
    const totalMb = FILES * FILE_MB;

    // The script: what a competent engineer writes by hand, streaming, two at a time. Run before and
    // after the hub (the mean is the baseline), so neither side gains from going second.
    const runScript = (round: number) => measured(totalMb, async () => {
      const queue = [...files];
      await Promise.all(Array.from({ length: IN_FLIGHT }, async () => {
        for (let file = queue.shift(); file; file = queue.shift()) {
          const bytes = await fetch(`${org.instanceUrl}/services/data/v62.0/sobjects/ContentVersion/${file.versionId}/VersionData`, { headers: { authorization: `Bearer ${orgToken}` } });
          const put = await erpCall('PUT', `/sales-orders/eid:${file.orderId}/documents/script-${round}-${file.versionId}.pdf`, { headers: { 'content-type': 'application/pdf' }, body: bytes.body, duplex: 'half' } as RequestInit);
          if (put.status !== 201) throw new Error(`ERP: ${put.status} ${await put.text()}`);
        }
      }));
    });
    const before = await runScript(1);
    log(`  script: ${before.mbPerSecond.toFixed(1)} MB/s`);

    // The hub: the demo's flow, polling every 100 ms, from its save until the last document is in the ERP.
    const flow = readFileSync(join(ROOT, 'packages/hub/flows/order-files-to-erp.yaml'), 'utf8').replace('interval: 2s', 'interval: 100ms');
    const storedByHub = async () => {
      let count = 0;
      for (const { orderId } of files) count += ((await (await erpCall('GET', `/sales-orders/eid:${orderId}/documents`)).json()) as { name: string }[]).filter((d) => d.name.startsWith('file-')).length;
      return count;
    };
    const viaHub = await measured(totalMb, async () => {
      await wireDemo(hub.ctx, { name: 'bench' }, { org: { instanceUrl: org.instanceUrl, consumerKey: app.consumerKey, consumerSecret: app.consumerSecret }, erp: { url: erp.url, tokenUrl: erp.tokenUrl, ...client } }, [flow]);
      while ((await storedByHub()) < FILES) await new Promise((r) => setTimeout(r, 50));
    });
    log(`  hub: ${viaHub.mbPerSecond.toFixed(1)} MB/s`);
    const afterRun = await runScript(2);
    log(`  script again: ${afterRun.mbPerSecond.toFixed(1)} MB/s`);
    const mean = (pick: (r: FilesRun) => number) => (pick(before) + pick(afterRun)) / 2;
    const script: FilesRun = { seconds: mean((r) => r.seconds), mbPerSecond: mean((r) => r.mbPerSecond), cpuMsPerMb: mean((r) => r.cpuMsPerMb), rssGrowthMb: Math.max(before.rssGrowthMb, afterRun.rssGrowthMb) };
    return { files: FILES, fileMb: FILE_MB, hub: viaHub, script, ratio: viaHub.mbPerSecond / script.mbPerSecond };
  } finally {
    await hub.close();
    await erp.close();
    await org.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const result = await benchFiles((line) => console.log(line));
  console.log(JSON.stringify(result, null, 2));
}
