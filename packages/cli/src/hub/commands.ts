import { isIP } from 'node:net';
import { resolve } from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import { API_SCOPES, createApiKey, createUser, listApiKeys, listUsers, openHub, revokeApiKey, rotateMasterKey, salesforceSignIn, saveFlowFolder, startHub, loadHubPolicies, type ApiScope, type HubRole } from '@handshake/hub';
import { apiFlags, callApi, DEFAULT_HUB_PORT, type ApiFlags } from './api-client.js';

const DEFAULT_PORT = DEFAULT_HUB_PORT;

interface HubFlags { data: string; databaseUrl?: string; allowPrivateNetworks?: boolean }

function withHubOptions(command: Command): Command {
  return command
    .option('--data <dir>', 'data folder (SQLite file)', '.handshake/hub')
    .option('--database-url <url>', 'postgres://… to use PostgreSQL instead of SQLite (default: $HUB_DATABASE_URL)', process.env.HUB_DATABASE_URL)
    .option('--allow-private-networks', 'allow http:// and private or loopback addresses in connections (development only)');
}

const hubOptions = (flags: HubFlags) => ({ dataDir: resolve(flags.data), databaseUrl: flags.databaseUrl, allowPrivateNetworks: flags.allowPrivateNetworks ?? false });

function positiveNumber(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('must be a positive number');
  return n;
}

/** `--trust-proxy`: addresses or CIDR ranges, each checked here rather than failing the server's start. */
function proxyAddresses(value: string): string[] {
  const list = value.split(',').map((a) => a.trim()).filter(Boolean);
  for (const entry of list) {
    const [address, bits, extra] = entry.split('/');
    const max = isIP(address ?? '') === 4 ? 32 : isIP(address ?? '') === 6 ? 128 : 0;
    if (!max || extra !== undefined || (bits !== undefined && !(/^\d{1,3}$/.test(bits) && Number(bits) <= max))) throw new InvalidArgumentError(`${entry} is not an IP address or CIDR range (e.g. 10.0.0.5 or 10.0.0.0/8).`);
  }
  return list;
}

function role(value: string): HubRole {
  if (!['all', 'api', 'worker'].includes(value)) throw new InvalidArgumentError('must be all, api or worker');
  return value as HubRole;
}

function scopes(value: string): ApiScope[] {
  const list = value.split(',').map((s) => s.trim()).filter(Boolean);
  const unknown = list.filter((s) => !(API_SCOPES as readonly string[]).includes(s));
  if (unknown.length) throw new InvalidArgumentError(`unknown scope ${unknown.join(', ')}; scopes: ${API_SCOPES.join(', ')}`);
  return list as ApiScope[];
}

export function registerHubCommands(program: Command): void {
  const hub = program.command('hub').description('run and manage the integration hub (needs HANDSHAKE_MASTER_KEYS)');

  withHubOptions(hub.command('serve'))
    .description('serve the hub API (/api/v1)')
    .option('--port <n>', `port (default ${DEFAULT_PORT})`, (v) => Number(v))
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--log-level <level>', 'log level', 'info')
    .option('--flows <dir>', 'save every flow document in this folder at start (each checked on its own)')
    .option('--run-retention-days <n>', 'keep flow runs and finished events this many days (dead letters stay until replayed)', positiveNumber, 14)
    .option('--max-in-flight <n>', 'units of flow work (an event, or a batch) in flight across every flow', positiveNumber, 100)
    .option('--public-url <url>', 'the URL people and identity providers reach the hub at (OAuth redirect URIs; https makes cookies Secure)')
    .option('--sign-in-salesforce <loginUrl>', '"Log in with Salesforce" on the console through this org (its app\'s key and secret in HANDSHAKE_SIGN_IN_CLIENT_ID and HANDSHAKE_SIGN_IN_CLIENT_SECRET)')
    .option('--sign-in-default-role <role>', 'the role of a person who signs in through Salesforce the first time (default: refused until an admin adds them)')
    .option('--cluster', 'one of several hub processes sharing the PostgreSQL store of --database-url and its work (see "Running a cluster" in the README)')
    .option('--lease-seconds <n>', 'cluster: how long a process holds an event before another may take it over if it dies (longer than any action\'s timeout)', positiveNumber, 300)
    .option('--policies <file>', 'hub-wide inbound policies (YAML: webhooks: [...], api: [...]; see "API policies" in the README)')
    .option('--trust-proxy <addresses>', 'the proxies or load balancers in front of the hub (comma-separated addresses or CIDR ranges): their X-Forwarded-For names the client (for ipAllowlist, rate limits and logs)', proxyAddresses)
    .option('--role <role>', 'all: API and work; api: the API and console only (no flows, no scheduled rotations); worker: flows and rotations, answering only /healthz, /readyz and /metrics', role, 'all')
    .option('--rotation-check-seconds <n>', 'how often due credential rotations are looked for', positiveNumber, 30)
    .option('--drain-seconds <n>', 'on SIGTERM: how long work in flight may take to finish before the process exits anyway', positiveNumber, 30)
    .action(async (flags: HubFlags & { port?: number; host: string; logLevel: string; flows?: string; runRetentionDays: number; maxInFlight: number; publicUrl?: string; signInSalesforce?: string; signInDefaultRole?: string; cluster?: boolean; leaseSeconds: number; drainSeconds: number; role: HubRole; policies?: string; rotationCheckSeconds: number; trustProxy?: string[] }) => {
      const policies = flags.policies ? await loadHubPolicies(resolve(flags.policies), { allowPrivateNetworks: flags.allowPrivateNetworks ?? false }) : undefined;
      let signInProvider;
      if (flags.signInSalesforce) {
        const { HANDSHAKE_SIGN_IN_CLIENT_ID: id, HANDSHAKE_SIGN_IN_CLIENT_SECRET: secret } = process.env;
        if (!id || !secret) throw new Error('--sign-in-salesforce needs the app\'s consumer key and secret in HANDSHAKE_SIGN_IN_CLIENT_ID and HANDSHAKE_SIGN_IN_CLIENT_SECRET.');
        if (flags.signInDefaultRole && !['admin', 'builder', 'viewer'].includes(flags.signInDefaultRole)) throw new Error('--sign-in-default-role must be admin, builder or viewer.');
        signInProvider = salesforceSignIn(flags.signInSalesforce, id, secret, flags.signInDefaultRole as 'viewer' | undefined);
      }
      const running = await startHub({ ...hubOptions(flags), host: flags.host, port: flags.port ?? DEFAULT_PORT, logLevel: flags.logLevel, flows: { retentionMs: flags.runRetentionDays * 86_400_000, maxInFlight: flags.maxInFlight }, role: flags.role, rotation: { tickMs: flags.rotationCheckSeconds * 1000 }, ...(policies ? { policies } : {}), ...(flags.trustProxy ? { trustProxy: flags.trustProxy } : {}), ...(flags.cluster ? { cluster: { leaseSeconds: flags.leaseSeconds } } : {}), ...(flags.publicUrl ? { publicUrl: flags.publicUrl } : {}), ...(signInProvider ? { signInProvider } : {}) });
      if (flags.flows) {
        for (const result of await saveFlowFolder(running.ctx, { name: 'hub serve --flows' }, resolve(flags.flows))) {
          console.log(result.error ? `  flow file ${result.file}: NOT saved: ${result.error}` : `  flow file ${result.file}: saved flow "${result.flow}"`);
        }
      }
      console.log(`Handshake hub is running (${running.store.description}${flags.cluster ? ', cluster mode' : ''}${flags.role === 'all' ? '' : `, role ${flags.role}`}).`);
      if (flags.role === 'worker') console.log(`  Probes:  ${running.url}/healthz, ${running.url}/readyz   Metrics: ${running.url}/metrics`);
      else {
        console.log(`  Console: ${running.url}/   (create the first admin with: handshake hub user create --username NAME)`);
        console.log(`  API:     ${running.url}/api/v1   (OpenAPI: ${running.url}/api/v1/openapi.json, reference: ${running.url}/api/docs)`);
        console.log(`  Metrics: ${running.url}/metrics`);
        console.log('Create an API key with: handshake hub api-key create --name admin');
      }
      // Stops taking work, lets what is in flight finish and record its outcome, then exits. Past the
      // deadline it exits anyway: nothing unrecorded is lost, it runs again (on a peer, in a cluster).
      const stop = async () => {
        const deadline = setTimeout(() => {
          console.error(`Work in flight did not finish within ${flags.drainSeconds} s; exiting: it runs again${flags.cluster ? ' on another process once its lease ends' : ' at the next start'}.`);
          process.exit(1);
        }, flags.drainSeconds * 1000);
        await running.close();
        clearTimeout(deadline);
        process.exit(0);
      };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });

  const apiKey = hub.command('api-key').description('API keys for the hub API: create, list, revoke');
  withHubOptions(apiKey.command('create'))
    .description('create an API key; it is shown once')
    .requiredOption('--name <name>', 'what the key is for (shown in the audit log)')
    .option('--scopes <list>', `comma-separated scopes (${API_SCOPES.join(', ')})`, scopes, ['connections:read', 'connections:write', 'connections:test', 'audit:read'] as ApiScope[])
    .option('--expires-in-days <n>', 'the key stops working after this many days (default: never)', positiveNumber)
    .action(async (flags: HubFlags & { name: string; scopes: ApiScope[]; expiresInDays?: number }) => {
      const { ctx, store } = await openHub(hubOptions(flags));
      try {
        const expiresAt = flags.expiresInDays ? ctx.now() + flags.expiresInDays * 86_400_000 : null;
        const { key } = await createApiKey(ctx.db, flags.name, flags.scopes, ctx.now(), expiresAt);
        console.log(`API key "${flags.name}" (${flags.scopes.join(', ')})${expiresAt ? `, expires ${new Date(expiresAt).toISOString()}` : ''}. It is shown only now:\n${key}`);
      } finally {
        await store.close();
      }
    });

  withHubOptions(apiKey.command('list'))
    .description('list API keys (never a secret): id, name, scopes, last used, expiry, revoked')
    .action(async (flags: HubFlags) => {
      const { ctx, store } = await openHub(hubOptions(flags));
      try {
        for (const k of await listApiKeys(ctx.db)) console.log(`${k.id}  ${k.name.padEnd(20)} ${k.revoked ? 'revoked' : k.expiresAt && Date.parse(k.expiresAt) <= Date.now() ? 'expired' : 'active '}  last used ${k.lastUsedAt ?? 'never'}  expires ${k.expiresAt ?? 'never'}  ${k.scopes.join(',')}`);
      } finally {
        await store.close();
      }
    });

  withHubOptions(apiKey.command('revoke <id>'))
    .description('revoke an API key at once')
    .action(async (id: string, flags: HubFlags) => {
      const { ctx, store } = await openHub(hubOptions(flags));
      try {
        if (!(await revokeApiKey(ctx.db, id))) {
          console.error(`No API key ${id}; \`handshake hub api-key list\` shows them.`);
          process.exitCode = 1;
        } else console.log(`Revoked API key ${id}.`);
      } finally {
        await store.close();
      }
    });

  const user = hub.command('user').description('people who sign in to the console (at the hub\'s /)');
  withHubOptions(user.command('create'))
    .description('create a console user; the password comes from HANDSHAKE_USER_PASSWORD or stdin (never a flag: other users could read it from ps)')
    .requiredOption('--username <name>', 'the sign-in name')
    .option('--role <role>', 'admin, builder or viewer', 'admin')
    .option('--manage-connections', 'builders: may create, edit and delete connections (Manage Integration Connections)')
    .option('--display-name <name>', 'the name the console and the audit log show')
    .action(async (flags: HubFlags & { username: string; role: string; manageConnections?: boolean; displayName?: string }) => {
      const password = process.env.HANDSHAKE_USER_PASSWORD ?? (process.stdin.isTTY ? undefined : (await readStdin()).replace(/\r?\n$/, ''));
      if (!password) throw new Error('Give the password on stdin (printf %s "$PASSWORD" | handshake hub user create …) or in HANDSHAKE_USER_PASSWORD.');
      const { ctx, store } = await openHub(hubOptions(flags));
      try {
        const created = await createUser(ctx.db, { name: 'handshake hub user create' }, { username: flags.username, password, role: flags.role, manageConnections: flags.manageConnections ?? false, ...(flags.displayName ? { displayName: flags.displayName } : {}) }, Date.now());
        console.log(`Created ${created.role} ${created.username}. Sign in at the hub's / (for example http://127.0.0.1:${DEFAULT_PORT}/).`);
      } finally {
        await store.close();
      }
    });
  withHubOptions(user.command('list'))
    .description('list console users (never a password)')
    .action(async (flags: HubFlags) => {
      const { ctx, store } = await openHub(hubOptions(flags));
      try {
        for (const u of await listUsers(ctx.db)) console.log(`${u.username.padEnd(30)} ${u.role.padEnd(8)} ${u.manageConnections ? 'manages connections' : ''}`);
      } finally {
        await store.close();
      }
    });

  const printRotation = (body: Record<string, unknown>) => {
    const policy = body.policy as { intervalHours: number; timeOfDay: string; gracePeriodSeconds: number };
    console.log(`Policy: every ${policy.intervalHours} h at ${policy.timeOfDay} UTC, grace ${policy.gracePeriodSeconds} s`);
    console.log(`Status: ${String(body.status)}${body.statusReason ? ` (${String(body.statusReason)})` : ''}`);
    console.log(`Last rotation: ${String(body.lastRotatedAt ?? 'never')}; next: ${String(body.nextRotationAt)}`);
    for (const r of (body.rotations as { startedAt: string; status: string; step: string; error: string | null }[]).slice(0, 5)) {
      console.log(`  ${r.startedAt} ${r.status.padEnd(9)} at ${r.step}${r.error ? `: ${r.error}` : ''}`);
    }
  };

  /** A connection given by id or by name. */
  const connectionIdOf = async (flags: ApiFlags, idOrName: string): Promise<string> => {
    const connections = (await callApi(flags, 'GET', '/connections')).body.connections as { id: string; name: string }[];
    const found = connections.find((c) => c.id === idOrName || c.name === idOrName);
    if (!found) throw new Error(`No connection "${idOrName}". Connections: ${connections.map((c) => c.name).join(', ') || 'none'}.`);
    return found.id;
  };

  apiFlags(hub.command('rotate <connection>'))
    .description("rotate a Salesforce connection's consumer secret now (through the running hub) and wait for it; the connection by name or id")
    .action(async (connection: string, flags: ApiFlags) => {
      const connectionId = await connectionIdOf(flags, connection);
      console.log('Rotating (stage → prove → store → rotate → grace period → delete the old pair)…');
      const { status, body } = await callApi(flags, 'POST', `/connections/${connectionId}/rotate?wait=true`);
      printRotation(body);
      if (status !== 200) process.exitCode = 1;
    });

  apiFlags(hub.command('rotation <connection>'))
    .description("show a connection's rotation policy, last and next rotation, and status; the connection by name or id")
    .action(async (connection: string, flags: ApiFlags) => printRotation((await callApi(flags, 'GET', `/connections/${await connectionIdOf(flags, connection)}/rotation`)).body));

  withHubOptions(hub.command('rotate-master-key'))
    .description('re-wrap every stored data key under the current (first) master key in HANDSHAKE_MASTER_KEYS')
    .action(async (flags: HubFlags) => {
      const { ctx, store } = await openHub(hubOptions(flags));
      try {
        const count = await rotateMasterKey(ctx.db, ctx.vault, (done, total) => {
          if (done === total || done % 100 === 0) process.stdout.write(`\r  ${done}/${total} connections checked`);
        });
        console.log(`\nRe-wrapped ${count} connection secret${count === 1 ? '' : 's'}. Once every hub process has the new key first, the old key can be removed.`);
      } finally {
        await store.close();
      }
    });
}

async function readStdin(): Promise<string> {
  let text = '';
  for await (const chunk of process.stdin) text += String(chunk);
  return text;
}
