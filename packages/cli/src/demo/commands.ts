import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { startErp } from '@handshake/demo-erp';
import { API_SCOPES, authenticateApiKey, createApiKey, createUser, DEMO_MASTER_KEY_FILE, flowStats, listFlows, listUsers, salesforceSignIn, startHub, wireDemo } from '@handshake/hub';
import { applySetupText, DEMO_SETUP_FILE, revealPrimaryConsumer, startOrg } from '@handshake/org';
import { printNewApp } from '../org/commands.js';
import { SEED_FLOWS } from './seed-flows.js';
import { progressLine, progressTable, type FlowProgress } from './progress.js';
import { startTraffic } from './traffic.js';

/** A value kept in a file under the demo's data folder: created once, reused on later starts. */
function kept(file: string, make: () => string): string {
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  const value = make();
  writeFileSync(file, `${value}\n`, { mode: 0o600 });
  return value;
}

const ACTOR = { name: 'handshake demo' };

export function registerDemoCommand(program: Command): void {
  program.command('demo')
    .description('the main job: the org, the demo ERP with its IdP, and the hub running the seeds\' four flows, with traffic')
    .option('--data <dir>', 'data folder', '.handshake')
    .option('--org-port <n>', 'org port', (v) => Number(v), 7410)
    .option('--erp-port <n>', 'ERP API port', (v) => Number(v), 7430)
    .option('--idp-port <n>', 'ERP IdP port', (v) => Number(v), 7431)
    .option('--hub-port <n>', 'hub port', (v) => Number(v), 7420)
    .option('--no-traffic', 'do not generate contacts and orders')
    .action(async (flags: { data: string; orgPort: number; erpPort: number; idpPort: number; hubPort: number; traffic: boolean }) => {
      const data = resolve(flags.data);
      for (const dir of ['org', 'erp', 'hub']) mkdirSync(join(data, dir), { recursive: true });
      console.log('Starting the org (demo setup)…');
      const org = await startOrg({ dataDir: join(data, 'org'), setupFile: DEMO_SETUP_FILE, port: flags.orgPort, logLevel: false });
      const reveal = async (app: string) => (await revealPrimaryConsumer(org.store.db, org.ctx.box, app, { userId: null, address: 'handshake demo', now: Date.now() }))!;
      const consumer = await reveal('MuleSoft_Integration');
      // A new data folder: the apps' secrets are shown this once, as `handshake org apply` does.
      for (const app of org.setup?.newApps ?? []) printNewApp(app);
      console.log('Starting the demo ERP and its identity provider…');
      const erpClient = { clientId: 'handshake-hub', clientSecret: kept(join(data, 'erp', 'hub-client-secret'), () => randomBytes(24).toString('base64url')) };
      const erp = await startErp({ dataDir: join(data, 'erp'), port: flags.erpPort, idpPort: flags.idpPort, clients: [erpClient] });
      console.log('Starting the hub…');
      // The demo keeps its master key beside its data so that restarts find their secrets; production sets HANDSHAKE_MASTER_KEYS.
      const masterKeys = process.env.HANDSHAKE_MASTER_KEYS ?? kept(join(data, 'hub', DEMO_MASTER_KEY_FILE), () => `1:${randomBytes(32).toString('base64')}`);
      const hub = await startHub({ dataDir: join(data, 'hub'), masterKeys, port: flags.hubPort, allowPrivateNetworks: true, logLevel: false });
      // The key printed for the user is named `demo`, and the ERP's principal is granted to it, so flows saved with it can call the ERP.
      await wireDemo(hub.ctx, ACTOR, { org: { instanceUrl: org.instanceUrl, ...consumer }, orgAdmin: await reveal('Hub_Admin'), erp: { url: erp.url, tokenUrl: erp.tokenUrl, ...erpClient } }, SEED_FLOWS.map((f) => f.text), ['demo']);
      // One admin key per data folder, kept beside the data (like the master key) and printed on every start.
      const keyFile = join(data, 'hub', 'demo-api-key');
      let key = existsSync(keyFile) ? readFileSync(keyFile, 'utf8').trim() : '';
      if (!key || !(await authenticateApiKey(hub.ctx.db, key))) {
        key = (await createApiKey(hub.ctx.db, 'demo', [...API_SCOPES], Date.now())).key;
        writeFileSync(keyFile, `${key}\n`, { mode: 0o600 });
      }
      // "Log in with Salesforce": the org's Handshake_Console app, its callback on this hub's port.
      // The org's admin is the hub's admin; other org users come in as viewers.
      const consoleApp = `apps:\n  - name: Handshake Console\n    apiName: Handshake_Console\n    contactEmail: admin@handshake.demo\n    oauth: { scopes: [id], flows: [authorization_code], requireSecret: true, requirePkce: true, callbackUrls: ['${hub.url}/api/v1/session/sso/callback'] }\n`;
      const applied = await applySetupText({ db: org.store.db, box: org.ctx.box, actor: 'handshake demo' }, consoleApp, 'the demo console app');
      org.ctx.cache.clear();
      for (const app of applied.newApps) printNewApp(app);
      const consoleClient = await reveal('Handshake_Console');
      hub.ctx.signInProvider = salesforceSignIn(org.loginUrl, consoleClient.consumerKey, consoleClient.consumerSecret, 'viewer');
      if (!(await listUsers(hub.ctx.db)).some((u) => u.username === 'admin@handshake.demo')) await createUser(hub.ctx.db, ACTOR, { username: 'admin@handshake.demo', displayName: 'Ada Admin', password: randomBytes(24).toString('base64url'), role: 'admin' }, Date.now());

      // The console's first admin, its password kept beside the data like the key.
      const password = kept(join(data, 'hub', 'demo-console-password'), () => randomBytes(12).toString('base64url'));
      if (!(await listUsers(hub.ctx.db)).some((u) => u.username === 'admin')) await createUser(hub.ctx.db, ACTOR, { username: 'admin', displayName: 'Demo Admin', password, role: 'admin' }, Date.now());

      const token = async (url: string, body: Record<string, string>, basic?: string) => {
        const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', ...(basic ? { authorization: `Basic ${basic}` } : {}) }, body: new URLSearchParams(body) });
        return ((await res.json()) as { access_token: string }).access_token;
      };
      let orgToken: Promise<string> | undefined;
      let erpToken: Promise<string> | undefined;
      const traffic = flags.traffic ? startTraffic({
        erpUrl: erp.url,
        erpToken: () => (erpToken ??= token(erp.tokenUrl, { grant_type: 'client_credentials', resource: erp.url, scope: 'erp.read erp.write' }, Buffer.from(`${erpClient.clientId}:${erpClient.clientSecret}`).toString('base64'))),
        orgUrl: org.instanceUrl,
        orgToken: () => (orgToken ??= token(`${org.instanceUrl}/services/oauth2/token`, { grant_type: 'client_credentials', client_id: consumer.consumerKey, client_secret: consumer.consumerSecret })),
        contactEveryMs: 2000,
        orderEveryMs: 3000,
      }) : undefined;

      console.log(`
Handshake demo is running.
  Org (Salesforce-compatible): ${org.instanceUrl}   (login host ${org.loginUrl})
  Demo ERP API:                ${erp.url}   (OpenAPI: ${erp.url}/openapi.json)
  ERP identity provider:       ${erp.issuer}
  Hub API:                     ${hub.url}/api/v1   (OpenAPI: ${hub.url}/api/v1/openapi.json)
  Console:                     ${hub.url}/   (sign in as admin, password ${password};
                               or "Log in with Salesforce" as admin@handshake.demo / handshake-demo-1)
  Hub API key (admin):         ${key}   (kept in ${keyFile})
Flows: ${SEED_FLOWS.map((f) => f.name).join(', ')}
  Try: export HANDSHAKE_HUB_URL=${hub.url} HANDSHAKE_API_KEY=${key}
       npx handshake flows runs erp-contact-to-lead
       npx handshake hub rotate Salesforce      (rotates the consumer secret through "Salesforce Admin")
       npx handshake org token --data ${join(data, 'org')} --org ${org.instanceUrl}
Press Ctrl+C to stop.
`);
      // A terminal gets a small table redrawn in place every 2 s; a file or a pipe, a plain line every 10 s.
      const terminal = process.stdout.isTTY === true;
      let drawn = 0;
      let ticks = 0;
      const status = setInterval(() => {
        void (async () => {
          if (!terminal && ticks++ % 5 !== 0) return;
          const rows: FlowProgress[] = [];
          for (const flow of await listFlows(hub.ctx)) {
            const s = await flowStats(hub.ctx, flow.id);
            rows.push({ name: flow.name, status: s.status, ok: s.runs.success, failed: s.runs.failed, dead: s.events.dead, backlog: s.backlog, lagMs: s.lagMs, lastError: s.lastError });
          }
          const made = traffic ? `traffic: ${traffic.contacts} contacts, ${traffic.orders} orders, ${traffic.invoices} invoices, ${traffic.files} files made${traffic.errors ? `, ${traffic.errors} errors` : ''}` : 'no traffic';
          if (!terminal) return void process.stdout.write(`${new Date().toISOString()} ${progressLine(rows, made)}\n`);
          const lines = progressTable(rows, made, (process.stdout.columns || 120) - 1);
          process.stdout.write(`${drawn ? `\x1b[${drawn}F` : ''}${lines.map((line) => `\x1b[2K${line}\n`).join('')}`);
          drawn = lines.length;
        })().catch(() => undefined);
      }, 2000);
      const stop = async () => {
        clearInterval(status);
        traffic?.stop();
        console.log('\nStopping…');
        await hub.close();
        await erp.close();
        await org.close();
        process.exit(0);
      };
      process.once('SIGINT', () => void stop());
      process.once('SIGTERM', () => void stop());
    });
}
