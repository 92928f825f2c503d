import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import {
  applySetupText,
  DEMO_SETUP_FILE,
  ensureOrg,
  findUserByUsername,
  EVENT_KINDS,
  issueLocalToken,
  listEvents,
  loadOrgKey,
  orgCertificate,
  revealPrimaryConsumer,
  openStore,
  SecretBox,
  SetupError,
  startOrg,
  SYSTEM_PERMISSION_LABELS,
  userAccess,
  type RunningOrg,
} from '@handshake/org';
import { storeOptions, withStoreOptions, type StoreFlags } from './store-options.js';

const DEFAULT_PORT = 7410;

function port(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError('must be a port number from 0 to 65535');
  return n;
}

function positive(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('must be a whole number above 0');
  return n;
}

export function registerOrgCommands(program: Command): void {
  const org = program.command('org').description('run and configure the Salesforce-compatible org');

  withStoreOptions(org.command('serve'))
    .description('start the org (the demo setup is applied when no --setup is given)')
    .option('--port <n>', `port to listen on (default ${DEFAULT_PORT}, or a free one if taken)`, port)
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--setup <file>', 'setup file to apply at start', undefined)
    .option('--log-level <level>', 'log level (fatal, error, warn, info, debug)', 'warn')
    .option('--token-limit-per-address <n>', 'token requests per minute from one address', positive, 30_000)
    .option('--token-limit-per-client <n>', 'token requests per minute naming one client id', positive, 20_000)
    .option('--tls', 'serve https, with a certificate made once in <data>/tls (or the one given)')
    .option('--tls-cert <file>', 'PEM certificate for --tls')
    .option('--tls-key <file>', 'PEM private key for --tls')
    .action(async (flags: StoreFlags & { port?: number; host: string; setup?: string; logLevel: string; tokenLimitPerAddress: number; tokenLimitPerClient: number; tls?: boolean; tlsCert?: string; tlsKey?: string }) => {
      if (Boolean(flags.tlsCert) !== Boolean(flags.tlsKey)) throw new InvalidArgumentError('--tls-cert and --tls-key go together');
      const tls = flags.tls || flags.tlsCert ? await orgCertificate(storeOptions(flags).dataDir, flags.tlsCert ? { certFile: resolve(flags.tlsCert), keyFile: resolve(flags.tlsKey!) } : undefined) : undefined;
      const options = {
        ...storeOptions(flags),
        ...(tls ? { tls } : {}),
        host: flags.host,
        setupFile: flags.setup ?? DEMO_SETUP_FILE,
        logLevel: flags.logLevel,
        rateLimits: { perAddressPerMinute: flags.tokenLimitPerAddress, perClientPerMinute: flags.tokenLimitPerClient },
      };
      let running: RunningOrg;
      try {
        running = await startOrg({ ...options, port: flags.port ?? DEFAULT_PORT });
      } catch (error) {
        if (flags.port !== undefined || (error as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw friendly(error);
        running = await startOrg({ ...options, port: 0 }).catch((e: unknown) => { throw friendly(e); });
      }
      printBanner(running, flags.setup === undefined);
      if (tls) console.log(`\nTLS: the certificate is ${tls.certFile}. Node clients (jsforce, sf) trust it with:\n  export NODE_EXTRA_CA_CERTS=${tls.certFile}`);
      const stop = async () => {
        await running.close();
        process.exit(0);
      };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });

  withStoreOptions(org.command('apply <file>'))
    .description('apply a setup file (idempotent; a bad file is refused whole, every problem listed)')
    .action(async (file: string, flags: StoreFlags) => {
      const opts = storeOptions(flags);
      const store = await openStore(opts);
      try {
        const box = new SecretBox(loadOrgKey(opts.dataDir));
        const path = resolve(file);
        const summary = await applySetupText({ db: store.db, box, actor: 'handshake org apply' }, readFileSync(path, 'utf8'), path).catch((e: unknown) => { throw friendly(e); });
        await ensureOrg(store.db);
        console.log(`Applied ${file} to ${store.description}: ${summary.created.length} created, ${summary.updated.length} updated, ${summary.unchanged} unchanged.`);
        for (const what of summary.created) console.log(`  + ${what}`);
        for (const what of summary.updated) console.log(`  ~ ${what}`);
        for (const app of summary.newApps) printNewApp(app);
      } finally {
        await store.close();
      }
    });

  withStoreOptions(org.command('token'))
    .description("print a working access token and the instance URL, as `sf org display` does: for an app's run-as user (client credentials against the running org), or with --user for any user (issued from the data folder, no password; recorded in the event log)")
    .option('--app <apiName>', 'the External Client App', 'MuleSoft_Integration')
    .option('--user <username>', "a user's token through the app instead of the run-as user's")
    .option('--org <url>', 'the running org', process.env.HANDSHAKE_ORG_URL ?? 'http://127.0.0.1:7410')
    .option('--json', 'print JSON')
    .action(async (flags: StoreFlags & { app: string; user?: string; org: string; json?: boolean }) => {
      const orgUrl = flags.org.replace(/\/+$/, '');
      const unreachable = () => new Error(`Cannot reach the org at ${flags.org}. Is \`handshake org serve\` (or the demo) running? Set --org or HANDSHAKE_ORG_URL.`);
      const opts = storeOptions(flags);
      const store = await openStore(opts);
      let consumer: { consumerKey: string; consumerSecret: string } | undefined;
      let accessToken: string | undefined;
      try {
        if (flags.user) accessToken = (await issueLocalToken(store.db, { username: flags.user, appApiName: flags.app, now: Date.now() }).catch((e: unknown) => { throw friendly(e); })).token;
        // Read here, sent only to the org's token endpoint: the secret is never printed.
        else consumer = await revealPrimaryConsumer(store.db, new SecretBox(loadOrgKey(opts.dataDir)), flags.app, { userId: null, address: 'handshake org token', now: Date.now() });
      } finally {
        await store.close();
      }
      let instanceUrl = orgUrl;
      if (!flags.user) {
        if (!consumer) throw new Error(`No app ${flags.app} with a consumer in ${opts.dataDir}. Apps: GET /services/admin/v1/apps, or the setup file.`);
        const res = await fetch(`${orgUrl}/services/oauth2/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ grant_type: 'client_credentials', client_id: consumer.consumerKey, client_secret: consumer.consumerSecret }) })
          .catch(() => { throw unreachable(); });
        const answer = (await res.json()) as { access_token?: string; instance_url?: string; error?: string; error_description?: string };
        if (!answer.access_token) throw new Error(`The org refused: ${answer.error ?? res.status} ${answer.error_description ?? ''}`.trim());
        accessToken = answer.access_token;
        instanceUrl = answer.instance_url ?? orgUrl;
      }
      // Proven to work before it is printed: the org answers who the token belongs to.
      const who = await fetch(`${instanceUrl}/services/oauth2/userinfo`, { headers: { authorization: `Bearer ${accessToken}` } }).catch(() => { throw unreachable(); });
      if (!who.ok) throw new Error(`The org at ${instanceUrl} does not accept the token (HTTP ${who.status}): is it the org of ${opts.dataDir}? Set --data or --org.`);
      const username = ((await who.json()) as { preferred_username?: string }).preferred_username;
      if (flags.json) return console.log(JSON.stringify({ accessToken, instanceUrl, username, app: flags.app }, null, 2));
      console.log(`Access Token   ${accessToken}\nInstance Url   ${instanceUrl}\nUsername       ${username}\nApp            ${flags.app}${flags.user ? '' : " (client credentials: the run-as user's access)"}`);
      console.log(`Try: curl -H "Authorization: Bearer $TOKEN" ${instanceUrl}/services/data/v62.0/sobjects`);
    });

  withStoreOptions(org.command('access <username>'))
    .description("print a user's effective object, field and system permissions (Setup's View Summary)")
    .option('--json', 'print JSON')
    .action(async (username: string, flags: StoreFlags & { json?: boolean }) => {
      const store = await openStore(storeOptions(flags));
      try {
        const user = await findUserByUsername(store.db, username);
        if (!user) throw new Error(`No user with username ${username}. List users with the admin API (GET /services/admin/v1/users).`);
        const access = await userAccess(store.db, user);
        if (flags.json) return console.log(JSON.stringify({ username, licence: user.licence, ...access }, null, 2));
        console.log(`${user.username} — ${user.licence} licence, profile ${access.profile}${access.apiOnly ? ' (API only)' : ''}`);
        console.log(`Permission sets: ${access.permissionSets.join(', ') || 'none'}; permission set licences: ${access.permissionSetLicences.join(', ') || 'none'}`);
        console.log('\nSystem permissions');
        for (const p of access.system) console.log(`  ${SYSTEM_PERMISSION_LABELS[p as keyof typeof SYSTEM_PERMISSION_LABELS] ?? p}`);
        console.log('\nObject permissions');
        for (const [object, perms] of Object.entries(access.objects)) console.log(`  ${object.padEnd(22)} ${perms.join(', ')}`);
        console.log('\nField permissions');
        for (const [field, perms] of Object.entries(access.fields)) console.log(`  ${field.padEnd(34)} ${perms.join(', ')}`);
      } finally {
        await store.close();
      }
    });

  withStoreOptions(org.command('events'))
    .description('print the event log (tokens issued and refused, logins, revocations, secret reveals)')
    .option('--kind <kind>', `only this kind (${EVENT_KINDS.join(', ')})`)
    .option('--limit <n>', 'how many, newest first', (v) => Number(v), 50)
    .action(async (flags: StoreFlags & { kind?: string; limit: number }) => {
      if (flags.kind && !(EVENT_KINDS as readonly string[]).includes(flags.kind)) throw new Error(`Unknown event kind "${flags.kind}": use one of ${EVENT_KINDS.join(', ')}.`);
      const store = await openStore(storeOptions(flags));
      try {
        // Apps and users by name, as people know them.
        const apps = new Map((await store.db.selectFrom('apps').select(['id', 'api_name']).execute()).map((a) => [a.id, a.api_name]));
        const users = new Map((await store.db.selectFrom('users').select(['id', 'username']).execute()).map((u) => [u.id, u.username]));
        const name = (names: Map<string, string>, id: string | null) => (id ? names.get(id) ?? id : '-');
        for (const e of await listEvents(store.db, { kind: flags.kind, limit: flags.limit })) {
          console.log(`${e.at} ${e.kind.padEnd(13)} ${e.outcome.padEnd(22)} grant=${e.grantType ?? '-'} app=${name(apps, e.appId)} user=${name(users, e.userId)} from=${e.address ?? '-'}${e.detail ? ` (${e.detail})` : ''}`);
        }
      } finally {
        await store.close();
      }
    });
}

function friendly(error: unknown): Error {
  if (error instanceof SetupError) return error;
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return new Error(`File not found: ${(error as NodeJS.ErrnoException).path}`);
  if (code === 'EADDRINUSE') return new Error('That port is in use. Pick another with --port, or --port 0 for any free port.');
  if (code === 'ECONNREFUSED') return new Error('Cannot reach the database. Is PostgreSQL running, and is --database-url / DATABASE_URL right?');
  return error instanceof Error ? error : new Error(String(error));
}

export function printNewApp(app: { apiName: string; consumerKey: string; consumerSecret: string }): void {
  console.log(`\nNew External Client App ${app.apiName}. The consumer secret is shown only now; store it in your secret manager.`);
  console.log(`  Consumer key:    ${app.consumerKey}`);
  console.log(`  Consumer secret: ${app.consumerSecret}`);
}

function printBanner(org: RunningOrg, demo: boolean): void {
  console.log(`Handshake org ${org.orgId} is running (${org.store.description}).`);
  console.log(`  Instance URL (My Domain): ${org.instanceUrl}`);
  console.log(`  Login URL:                ${org.loginUrl}`);
  console.log(`  REST API versions:        ${org.instanceUrl}/services/data`);
  console.log(`  Metrics:                  ${org.instanceUrl}/metrics`);
  for (const app of org.setup?.newApps ?? []) printNewApp(app);
  if (demo) {
    const created = org.setup?.newApps.find((a) => a.apiName === 'MuleSoft_Integration');
    console.log('\nDemo: integration user integration@handshake.demo runs the MuleSoft_Integration app (client credentials).');
    console.log('Browser login (authorization code flow): admin@handshake.demo / handshake-demo-1');
    if (!created) {
      console.log('The demo app already existed, so its secret is not shown again. Reveal it as the admin (View Client Secret, audited):');
      console.log(`  curl -s -X POST ${org.instanceUrl}/services/admin/v1/apps/MuleSoft_Integration/secret -H "Authorization: Bearer $ADMIN_TOKEN"`);
      console.log('or start afresh with a new data folder: --data .handshake/fresh');
    }
    console.log('\nGet a token with the client credentials flow (on the instance URL, as Salesforce requires):');
    console.log(`  curl -s ${org.instanceUrl}/services/oauth2/token -d grant_type=client_credentials \\\n    -d client_id='${created?.consumerKey ?? '<consumer key>'}' -d client_secret='${created?.consumerSecret ?? '<consumer secret>'}'`);
    console.log('Then call the API with it:');
    console.log(`  curl -s ${org.instanceUrl}/services/data/v66.0 -H "Authorization: Bearer <access_token>"`);
  }
  console.log('\nPress Ctrl+C to stop.');
}
