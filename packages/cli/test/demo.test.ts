import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createNetServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, describe, it } from 'node:test';

const MAIN = fileURLToPath(new URL('../dist/main.js', import.meta.url));

/**
 * A GET to the demo's servers, sent again once if the kept-alive socket it went out on was closed
 * by the server meanwhile: this test blocks its event loop in spawnSync for longer than the
 * servers' 5-second keep-alive, so fetch can reuse a socket the server already closed.
 */
async function get(url: string, headers: Record<string, string>): Promise<Response> {
  try {
    return await fetch(url, { headers });
  } catch (error) {
    if ((error as { cause?: { code?: string } }).cause?.code !== 'UND_ERR_SOCKET') throw error;
    return fetch(url, { headers });
  }
}

describe('the main job: `handshake demo` (what `npm start` runs)', () => {
  const data = mkdtempSync(join(tmpdir(), 'hs-demo-'));
  const child = spawn(process.execPath, [MAIN, 'demo', '--data', data, '--org-port', '0', '--erp-port', '0', '--idp-port', '0', '--hub-port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  let err = '';
  child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
  after(async () => {
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await exited;
    rmSync(data, { recursive: true, force: true });
  });

  it('starts the org, the ERP and the hub, runs the four seed flows on generated traffic (invoices and files too), and shows progress', async () => {
    const deadline = Date.now() + 60_000;
    // The last progress line: every flow has succeeded at least once in it.
    const flows = ['crm-order-to-erp-sales-order', 'erp-contact-to-lead', 'erp-invoice-to-order-file', 'order-files-to-erp'];
    const ran = () => {
      const last = out.trimEnd().split('\n').at(-1) ?? '';
      return flows.every((flow) => new RegExp(`${flow}: [1-9]\\d* ok`).test(last));
    };
    while (!ran() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 250));
    assert.ok(ran(), `all four flows ran:\n${out}`);
    assert.match(out, /traffic: \d+ contacts, \d+ orders, [1-9]\d* invoices, [1-9]\d* files made/);
    assert.match(out, /Org \(Salesforce-compatible\): http:\/\/127\.0\.0\.1:\d+/);
    assert.match(out, /Demo ERP API: +http:\/\/127\.0\.0\.1:\d+/);
    assert.match(out, /Hub API: +http:\/\/127\.0\.0\.1:\d+\/api\/v1/);
    // A dependency's notices stay in its component's log.
    assert.ok(!/oidc-provider/.test(out + err), `no oidc-provider notice on the terminal:\n${err}`);
  });

  it('`npx handshake` runs the workspace\'s command (after npm ci), with --help and --version, and no dependency notice', () => {
    const root = fileURLToPath(new URL('../../..', import.meta.url));
    const help = spawnSync('npx', ['--no-install', 'handshake', '--help'], { cwd: root, encoding: 'utf8' });
    assert.equal(help.status, 0, help.stderr);
    assert.match(help.stdout, /Usage: handshake/);
    assert.ok(!/oidc-provider/.test(help.stdout + help.stderr), help.stderr);
    const version = spawnSync('npx', ['--no-install', 'handshake', '--version'], { cwd: root, encoding: 'utf8' });
    assert.match(version.stdout, /^\d+\.\d+\.\d+/);
  });

  it('`handshake flows validate|runs|run|stats` talk to the running hub', async () => {
    const hub = /Hub API: +(http:\/\/127\.0\.0\.1:\d+)\/api\/v1/.exec(out)![1]!;
    const key = /Hub API key \(admin\): +(\S+)/.exec(out)![1]!;
    const env = { ...process.env, HANDSHAKE_HUB_URL: hub, HANDSHAKE_API_KEY: key };
    const cli = (...args: string[]) => spawnSync(process.execPath, [MAIN, ...args], { env, encoding: 'utf8' });
    const seed = fileURLToPath(new URL('../../hub/flows/erp-contact-to-lead.yaml', import.meta.url));
    const good = cli('flows', 'validate', seed);
    assert.equal(good.status, 0, good.stderr);
    assert.match(good.stdout, /valid flow "erp-contact-to-lead"/);
    const broken = join(data, 'broken.yaml');
    writeFileSync(broken, readFileSync(seed, 'utf8').replace('Email: { path: email }', 'Nope__c: { path: email }'));
    const bad = cli('flows', 'validate', broken);
    assert.equal(bad.status, 1);
    assert.match(bad.stderr, /\d+:\d+ actions\[0\]\.mapping\.Nope__c: unknown field Nope__c on Lead/);
    const runs = cli('flows', 'runs', 'erp-contact-to-lead', '--limit', '3');
    assert.equal(runs.status, 0, runs.stderr);
    const line = /^(\S+) +\S+ success +(\S+) +attempt 1 .*upsert-lead:success/m.exec(runs.stdout);
    assert.ok(line, runs.stdout);
    assert.match(runs.stdout, /More: handshake flows runs erp-contact-to-lead --cursor \S+/);
    const one = cli('flows', 'run', 'erp-contact-to-lead', line[1]!);
    assert.equal(one.status, 0, one.stderr);
    assert.match(one.stdout, new RegExp(`Run ${line[1]} of erp-contact-to-lead: success, attempt 1, .*record ${line[2]}`));
    assert.match(one.stdout, /"action": "upsert-lead"/);
    const stats = cli('flows', 'stats', 'erp-contact-to-lead');
    assert.equal(stats.status, 0, stats.stderr);
    assert.match(stats.stdout, /runs: +[1-9]\d* success, \d+ skipped, \d+ failed, \d+ dead\n +events: +\d+ pending, [1-9]\d* done, \d+ dead letters/);
  });
});

describe('`handshake demo` restarted on its data folder', () => {
  const data = mkdtempSync(join(tmpdir(), 'hs-demo-restart-'));
  after(() => rmSync(data, { recursive: true, force: true }));

  const freePort = () => new Promise<number>((resolve) => {
    const server = createNetServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
  const start = async (ports: number[]) => {
    const child = spawn(process.execPath, [MAIN, 'demo', '--data', data, '--org-port', String(ports[0]), '--erp-port', String(ports[1]), '--idp-port', String(ports[2]), '--hub-port', String(ports[3])], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    const deadline = Date.now() + 60_000;
    while (!/crm-order-to-erp-sales-order: [1-9]\d* ok/.test(out) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 250));
    assert.match(out, /crm-order-to-erp-sales-order: [1-9]\d* ok/, out);
    return { child, out, key: /Hub API key \(admin\): +(\S+)/.exec(out)![1]!, hub: /Hub API: +(http:\/\/127\.0\.0\.1:\d+)\/api\/v1/.exec(out)![1]!, org: /Org \(Salesforce-compatible\): (http:\/\/127\.0\.0\.1:\d+)/.exec(out)![1]! };
  };
  const stop = async (child: ReturnType<typeof spawn>) => {
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await exited;
  };

  it('the journey: the printed key tests a connection, rotates, saves and triggers a webhook flow, pages 600 runs; a restart keeps the key, the counts and one seed customer', async () => {
    const ports = [await freePort(), await freePort(), await freePort(), await freePort()];
    const first = await start(ports);
    const env: NodeJS.ProcessEnv = { ...process.env, HANDSHAKE_HUB_URL: first.hub, HANDSHAKE_API_KEY: first.key };
    delete env.HANDSHAKE_MASTER_KEYS;
    const cli = (...args: string[]) => spawnSync(process.execPath, [MAIN, ...args], { env, encoding: 'utf8' });
    const api = async (hub: string, key: string, method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => {
      const res = await fetch(`${hub}/api/v1${path}`, { method, headers: { authorization: `Bearer ${key}`, ...(body ? { 'content-type': 'application/json' } : {}), ...headers }, ...(body ? { body: JSON.stringify(body) } : {}) });
      return { status: res.status, body: (await res.json()) as Record<string, unknown> };
    };
    let webhookStats: unknown;
    try {
      // The first start shows the apps' secrets once.
      assert.match(first.out, /New External Client App MuleSoft_Integration[\s\S]*Consumer secret: [0-9A-F]{64}/);
      const connections = (await api(first.hub, first.key, 'GET', '/connections')).body.connections as { id: string; name: string }[];
      const salesforce = connections.find((c) => c.name === 'Salesforce')!;
      assert.equal((await api(first.hub, first.key, 'POST', `/connections/${salesforce.id}/test`)).status, 200, 'the admin key tests a connection');
      // The console: the printed admin password signs in; "Log in with Salesforce" is offered.
      const consolePassword = /sign in as admin, password (\S+);/.exec(first.out)![1]!;
      const signedIn = await fetch(`${first.hub}/api/v1/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'admin', password: consolePassword }) });
      assert.equal(signedIn.status, 201);
      assert.equal(((await signedIn.json()) as { user: { role: string } }).user.role, 'admin');
      const providers = (await (await fetch(`${first.hub}/api/v1/session/providers`)).json()) as { providers: { name: string }[] };
      assert.deepEqual(providers.providers.map((p) => p.name), ['Salesforce']);
      assert.match((await (await fetch(`${first.hub}/`)).text()), /<div id="root">/, 'the console is served at /');
      // Rotation works out of the box, through the demo's administrative connection.
      const rotated = cli('hub', 'rotate', 'Salesforce');
      assert.equal(rotated.status, 0, rotated.stderr + rotated.stdout);
      const rotation = cli('hub', 'rotation', 'Salesforce');
      assert.match(rotation.stdout, /Status: ok\nLast rotation: \d{4}-/, rotation.stdout);
      const afterRotation = (await api(first.hub, first.key, 'POST', `/connections/${salesforce.id}/test`)).body.connection as { status: string };
      assert.equal(afterRotation.status, 'active', 'the connection works with the new secret');
      // A webhook flow, saved with the CLI and called 600 times (each once, whatever the redeliveries).
      const flowFile = join(data, 'wh-leads.yaml');
      writeFileSync(flowFile, `name: wh-leads
trigger: { type: webhook, idPath: ref }
batch: { size: 200, maxWait: 200ms }
actions:
  - name: upsert
    type: salesforce.upsert
    connection: Salesforce
    object: Lead
    externalIdField: ERP_Contact_Id__c
    mapping:
      ERP_Contact_Id__c: { path: ref }
      LastName: { path: name }
      Company: { const: Webhook Co }
`);
      const saved = cli('flows', 'save', flowFile);
      assert.equal(saved.status, 0, saved.stderr);
      for (let i = 0; i < 600; i += 50) {
        await Promise.all(Array.from({ length: 50 }, (_, j) => api(first.hub, first.key, 'POST', '/hooks/wh-leads', { ref: `wh-${i + j}`, name: `Hook ${i + j}` }).then((r) => assert.equal(r.status, 202))));
      }
      assert.equal((await api(first.hub, first.key, 'POST', '/hooks/wh-leads', { ref: 'wh-7', name: 'again' })).status, 200, 'a redelivery is the same event');
      const deadline = Date.now() + 60_000;
      let stats = (await api(first.hub, first.key, 'GET', '/flows/wh-leads/stats')).body as { runs: { success: number }; backlog: number };
      while ((stats.runs.success < 600 || stats.backlog > 0) && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 250));
        stats = (await api(first.hub, first.key, 'GET', '/flows/wh-leads/stats')).body as typeof stats;
      }
      assert.equal(stats.runs.success, 600);
      webhookStats = stats;
      // Runs beyond 500, a page at a time.
      const page1 = (await api(first.hub, first.key, 'GET', '/flows/wh-leads/runs?limit=500')).body as { runs: { id: string; record: string }[]; next: string | null };
      assert.equal(page1.runs.length, 500);
      assert.ok(page1.next);
      const page2 = (await api(first.hub, first.key, 'GET', `/flows/wh-leads/runs?limit=500&cursor=${encodeURIComponent(page1.next)}`)).body as typeof page1;
      assert.equal(page2.runs.length, 100);
      assert.equal(page2.next, null);
      assert.equal(new Set([...page1.runs, ...page2.runs].map((r) => r.record)).size, 600, 'every record once across the pages');
      const listed = cli('flows', 'runs', 'wh-leads', '--limit', '500');
      assert.match(listed.stdout, /More: handshake flows runs wh-leads --cursor \S+/);
    } finally {
      await stop(first.child);
    }
    const second = await start(ports);
    try {
      assert.equal(second.key, first.key, 'the key is kept, not minted again');
      assert.doesNotMatch(second.out, /Consumer secret/, 'secrets are shown on the first start only');
      const stats = (await api(second.hub, second.key, 'GET', '/flows/wh-leads/stats')).body;
      assert.deepEqual({ ...stats, lagMs: 0 }, { ...(webhookStats as object), lagMs: 0 }, 'the same counts after a restart');
      // The seed customer exists once, whatever the number of starts.
      const printed = spawnSync(process.execPath, [MAIN, 'org', 'token', '--data', join(data, 'org'), '--org', second.org], { encoding: 'utf8' });
      assert.equal(printed.status, 0, printed.stderr);
      const orgToken = /Access Token +(\S+)/.exec(printed.stdout)![1]!;
      assert.match(printed.stdout, new RegExp(`Instance Url +${second.org}`));
      assert.match(printed.stdout, /Username +integration@handshake\.demo/);
      const soql = async (token: string, q: string) => (await (await get(`${second.org}/services/data/v62.0/query?q=${encodeURIComponent(q)}`, { authorization: `Bearer ${token}` })).json()) as { totalSize: number };
      assert.equal((await soql(orgToken, "SELECT Id FROM Account WHERE AccountNumber = 'DEMO-1'")).totalSize, 1, 'one Demo Customer after two starts');
      assert.equal((await soql(orgToken, "SELECT Id FROM Lead WHERE Company = 'Webhook Co'")).totalSize, 600, 'one Lead per webhook event');
      // A user's token, without their password, as `sf org display` shows it.
      const asAdmin = spawnSync(process.execPath, [MAIN, 'org', 'token', '--user', 'admin@handshake.demo', '--data', join(data, 'org'), '--org', second.org, '--json'], { encoding: 'utf8' });
      assert.equal(asAdmin.status, 0, asAdmin.stderr);
      const admin = JSON.parse(asAdmin.stdout) as { accessToken: string; username: string };
      assert.equal(admin.username, 'admin@handshake.demo');
      assert.equal((await get(`${second.org}/services/data/v62.0/sobjects/Lead/describe`, { authorization: `Bearer ${admin.accessToken}` })).status, 200);
      const nobody = spawnSync(process.execPath, [MAIN, 'org', 'token', '--user', 'nobody@handshake.demo', '--data', join(data, 'org'), '--org', second.org], { encoding: 'utf8' });
      assert.equal(nobody.status, 1);
      assert.match(nobody.stderr, /No user with username nobody@handshake\.demo/);
      // Hub commands run on the demo's folder find its master key by themselves.
      const keys = spawnSync(process.execPath, [MAIN, 'hub', 'api-key', 'list', '--data', join(data, 'hub')], { env, encoding: 'utf8' });
      assert.equal(keys.status, 0, keys.stderr);
      assert.match(keys.stdout, /demo/);
    } finally {
      await stop(second.child);
    }
  });
});
