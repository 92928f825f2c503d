import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createNetServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, describe, it } from 'node:test';

const MAIN = fileURLToPath(new URL('../dist/main.js', import.meta.url));

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

  it('starts the org, the ERP and the hub, runs both seed flows on generated traffic, and shows progress', async () => {
    const deadline = Date.now() + 60_000;
    const ran = () => /crm-order-to-erp-sales-order: [1-9]\d* ok.*erp-contact-to-lead: [1-9]\d* ok/.test(out);
    while (!ran() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 250));
    assert.ok(ran(), `both flows ran:\n${out}`);
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

  it('prints the same admin key, which can test, reveal and read stats, and seeds its customer once', async () => {
    const ports = [await freePort(), await freePort(), await freePort(), await freePort()];
    const first = await start(ports);
    await stop(first.child);
    const second = await start(ports);
    try {
      assert.equal(second.key, first.key, 'the key is kept, not minted again');
      const api = async (method: string, path: string) => {
        const res = await fetch(`${second.hub}/api/v1${path}`, { method, headers: { authorization: `Bearer ${second.key}` } });
        return { status: res.status, body: (await res.json()) as Record<string, unknown> };
      };
      const connections = (await api('GET', '/connections')).body.connections as { id: string; name: string }[];
      const salesforce = connections.find((c) => c.name === 'Salesforce')!;
      assert.equal((await api('POST', `/connections/${salesforce.id}/test`)).status, 200, 'the admin key tests a connection');
      const stats = (await api('GET', '/flows/crm-order-to-erp-sales-order/stats')).body as { runs: { success: number } };
      assert.ok(stats.runs.success >= 1);
      // The seed customer exists once, whatever the number of starts.
      const revealed = (await api('POST', `/connections/${salesforce.id}/reveal`)).body.credentials as { consumerSecret: string };
      const config = ((await api('GET', `/connections/${salesforce.id}`)).body.connection as { config: { consumerKey: string } }).config;
      const token = ((await (await fetch(`${second.org}/services/oauth2/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ grant_type: 'client_credentials', client_id: config.consumerKey, client_secret: revealed.consumerSecret }) })).json()) as { access_token: string }).access_token;
      const customers = (await (await fetch(`${second.org}/services/data/v62.0/query?q=${encodeURIComponent("SELECT Id FROM Account WHERE AccountNumber = 'DEMO-1'")}`, { headers: { authorization: `Bearer ${token}` } })).json()) as { totalSize: number };
      assert.equal(customers.totalSize, 1, 'one Demo Customer after two starts');
      // `org token` prints a token that works, without printing the secret.
      const printed = spawnSync(process.execPath, [MAIN, 'org', 'token', '--data', join(data, 'org'), '--org', second.org], { encoding: 'utf8' });
      assert.equal(printed.status, 0, printed.stderr);
      const orgToken = /Access Token +(\S+)/.exec(printed.stdout)![1]!;
      assert.match(printed.stdout, new RegExp(`Instance Url +${second.org}`));
      assert.ok(!printed.stdout.includes(revealed.consumerSecret), 'the consumer secret is not printed');
      assert.equal((await fetch(`${second.org}/services/data/v62.0/sobjects`, { headers: { authorization: `Bearer ${orgToken}` } })).status, 200);
    } finally {
      await stop(second.child);
    }
  });
});
