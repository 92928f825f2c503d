import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { generate } from 'selfsigned';
import { applySetupText } from '../src/setup/apply.js';
import { authorize } from './helpers/authorize.js';
import { form, STORES, startTestOrg, tokenFor, type TestOrg } from './helpers/org.js';

const SF = fileURLToPath(new URL('../../../node_modules/@salesforce/cli/bin/run.js', import.meta.url));
const MAIN = fileURLToPath(new URL('../../cli/dist/main.js', import.meta.url));

/**
 * The Salesforce CLI 2.146.3 itself (installed from npm, unmodified, its jsforce pinned to 3.10.16),
 * run as a user would against the org: sf keeps its state under a temporary HOME, with no update
 * checks or telemetry. SQLite only: the CLI is a client, and the org's stores are tested elsewhere.
 */
describe('the Salesforce CLI (sf 2.146.3) against the org', () => {
  const data = mkdtempSync(join(tmpdir(), 'hs-sf-org-'));
  const home = mkdtempSync(join(tmpdir(), 'hs-sf-home-'));
  const files = mkdtempSync(join(tmpdir(), 'hs-sf-files-'));
  let org: TestOrg | undefined;
  let child: ChildProcess | undefined;
  const env = (extra: Record<string, string> = {}) => ({
    ...process.env, HOME: home, SF_DISABLE_TELEMETRY: 'true', SF_AUTOUPDATE_DISABLE: 'true', SF_SKIP_NEW_VERSION_CHECK: 'true',
    SF_USE_GENERIC_UNIX_KEYCHAIN: 'true', SF_DISABLE_DNS_CHECK: 'true', SF_DISABLE_AUTOUPDATE: 'true', NODE_OPTIONS: '', ...extra,
  });
  /** Runs sf with --json and returns its result (or its error, when `fails`). */
  const sf = (args: string[], extra: Record<string, string> = {}, fails = false) => new Promise<Record<string, unknown>>((resolve, reject) => {
    execFile(process.execPath, [SF, ...args, '--json'], { env: env(extra), cwd: files, timeout: 90_000, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      let parsed: Record<string, unknown>;
      try {
        parsed = JSON.parse(stdout) as Record<string, unknown>;
      } catch {
        return reject(new Error(`sf ${args.join(' ')}: no JSON (${stderr || stdout})`));
      }
      if (Boolean(error) !== fails) return reject(new Error(`sf ${args.join(' ')} ${fails ? 'succeeded' : 'failed'}: ${stdout}`));
      resolve((fails ? parsed : parsed.result) as Record<string, unknown>);
    });
  });

  before(async () => {
    org = await startTestOrg(STORES[0]!, {}, { dataDir: data });
  });
  after(async () => {
    child?.kill('SIGKILL');
    await org?.close();
    for (const dir of [data, home, files]) rmSync(dir, { recursive: true, force: true });
  });

  it('org login access-token finds the username and the org (User and Organization read with the user\'s own token)', async () => {
    const login = await sf(['org', 'login', 'access-token', '--instance-url', org!.instanceUrl, '--alias', 'hs', '--no-prompt'], { SF_ACCESS_TOKEN: await tokenFor(org!, 'MuleSoft_Integration') });
    assert.equal(login.username, 'integration@handshake.demo');
    assert.equal(login.orgEdition, 'Developer Edition');
    assert.equal(login.isSandbox, false);
    const limits = await sf(['org', 'list', 'limits', '-o', 'hs']) as unknown as { name: string; max: number }[];
    assert.ok(limits.some((l) => l.name === 'DailyApiRequests'));
  });

  it('data create, query (with columns=true), delete record', async () => {
    const created = await sf(['data', 'create', 'record', '-s', 'Account', '-v', "Name='CLI Account' Phone=555", '-o', 'hs']);
    const query = await sf(['data', 'query', '-q', "SELECT Id, Name, Owner.Name FROM Account WHERE Name = 'CLI Account'", '-o', 'hs']);
    const records = query.records as { Name: string; Owner: { Name: string } }[];
    assert.deepEqual(records.map((r) => [r.Name, r.Owner.Name]), [['CLI Account', 'MuleSoft Integration']]);
    // The human output is laid out from query?columns=true: the parent column is there by name.
    const table = await new Promise<string>((resolve, reject) => execFile(process.execPath, [SF, 'data', 'query', '-q', "SELECT Name, Owner.Name FROM Account WHERE Name = 'CLI Account'", '-o', 'hs'], { env: env(), cwd: files }, (e, out, err) => (e ? reject(new Error(err)) : resolve(out))));
    assert.match(table, /OWNER\.NAME/);
    assert.match(table, /MuleSoft Integration/);
    await sf(['data', 'delete', 'record', '-s', 'Account', '-i', String(created.id), '-o', 'hs']);
    assert.equal(((await sf(['data', 'query', '-q', "SELECT Id FROM Account WHERE Name = 'CLI Account'", '-o', 'hs'])).records as unknown[]).length, 0);
  });

  it('data import tree (lower-case names, nested contacts) and data search', async () => {
    writeFileSync(join(files, 'accounts.json'), JSON.stringify({ records: [
      { attributes: { type: 'Account', referenceId: 'AccountRef1' }, name: 'Treehouse Co', phone: '555', Contacts: { records: [{ attributes: { type: 'Contact', referenceId: 'ContactRef1' }, lastname: 'Treehouse', email: 't@tree.example' }] } },
    ] }));
    const imported = await sf(['data', 'import', 'tree', '--files', 'accounts.json', '-o', 'hs']) as unknown as { refId: string; type: string; id: string }[];
    assert.deepEqual(imported.map((r) => [r.refId, r.type]), [['AccountRef1', 'Account'], ['ContactRef1', 'Contact']]);
    const found = await sf(['data', 'search', '-q', 'FIND {Treehouse} RETURNING Account(Name), Contact(LastName)', '-o', 'hs']);
    const types = (found.searchRecords as { attributes: { type: string } }[]).map((r) => r.attributes.type).sort();
    assert.deepEqual(types, ['Account', 'Contact']);
  });

  it('data import bulk and data export bulk (Bulk API 2.0)', async () => {
    writeFileSync(join(files, 'in.csv'), 'Name,Phone\nBulk CLI 1,1\nBulk CLI 2,2\nBulk CLI 3,3\n');
    const imported = await sf(['data', 'import', 'bulk', '--sobject', 'Account', '--file', 'in.csv', '--wait', '2', '-o', 'hs']);
    assert.deepEqual([imported.processedRecords, imported.successfulRecords, imported.failedRecords], [3, 3, 0]);
    await sf(['data', 'export', 'bulk', '--query', "SELECT Name FROM Account WHERE Name LIKE 'Bulk CLI%' ORDER BY Name", '--output-file', 'out.csv', '--wait', '2', '-o', 'hs']);
    assert.equal(readFileSync(join(files, 'out.csv'), 'utf8').trim(), '"Name"\n"Bulk CLI 1"\n"Bulk CLI 2"\n"Bulk CLI 3"');
  });

  // After the data tests: sf keeps one authorization per username, and this logs the same user in again under another alias.
  it('org login jwt: sf signs an assertion with a key made here (exp in ms, aud the instance URL) and the org issues a token for the pre-authorized user', async () => {
    const pems = await generate([{ name: 'commonName', value: 'sf jwt' }], { keySize: 2048, algorithm: 'sha256' });
    const keyFile = join(files, 'server.key');
    writeFileSync(keyFile, pems.private);
    const made = await applySetupText({ db: org!.store.db, box: org!.ctx.box, actor: 'test' }, `apps:
  - name: CLI JWT
    apiName: Cli_Jwt
    contactEmail: admin@handshake.demo
    oauth:
      scopes: [api, refresh_token]
      flows: [jwt_bearer]
      certificate: |
${pems.cert.trim().split('\n').map((l) => `        ${l}`).join('\n')}
    policies:
      permittedUsers: { policy: adminApprovedPreAuthorized, permissionSets: [MuleSoft_SFDC_Integration] }
`, 'cli-jwt.yaml');
    const clientId = made.newApps[0]!.consumerKey;
    const login = await sf(['org', 'login', 'jwt', '--client-id', clientId, '--jwt-key-file', keyFile, '--username', 'integration@handshake.demo', '--instance-url', org!.instanceUrl, '--alias', 'hs-jwt']);
    assert.equal(login.username, 'integration@handshake.demo');
    assert.equal(login.instanceUrl, org!.instanceUrl);
    const query = await sf(['data', 'query', '-q', 'SELECT Id FROM Account LIMIT 1', '-o', 'hs-jwt']);
    assert.ok(Array.isArray(query.records));
    // A user the app does not pre-authorize is refused with Salesforce's words.
    const refused = await sf(['org', 'login', 'jwt', '--client-id', clientId, '--jwt-key-file', keyFile, '--username', 'admin@handshake.demo', '--instance-url', org!.instanceUrl], {}, true);
    assert.match(String(refused.message), /user hasn't approved this consumer/);
  });

  it('org login sfdx-url against org serve --tls (sf insists on https), then queries through it', async () => {
    // A refresh token from the login and consent pages, then the same data folder served over https.
    const dance = await authorize(org!, 'MuleSoft_Integration');
    const app = org!.apps.MuleSoft_Integration!;
    const tokens = await form(`${org!.loginUrl}/services/oauth2/token`, { grant_type: 'authorization_code', code: dance.code, client_id: app.consumerKey, client_secret: app.consumerSecret, redirect_uri: dance.redirectUri, code_verifier: dance.verifier });
    const refresh = String(tokens.body.refresh_token);
    await org!.close();
    org = undefined;
    const banner = await new Promise<string>((resolve, reject) => {
      child = spawn(process.execPath, [MAIN, 'org', 'serve', '--data', data, '--port', '0', '--tls', '--log-level', 'error'], { stdio: ['ignore', 'pipe', 'inherit'] });
      let out = '';
      child.stdout!.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        if (out.includes('NODE_EXTRA_CA_CERTS=')) resolve(out);
      });
      child.once('exit', (code) => reject(new Error(`org serve --tls exited (${code}): ${out}`)));
    });
    const url = /Instance URL \(My Domain\): (https:\/\/\S+)/.exec(banner)![1]!;
    const ca = /NODE_EXTRA_CA_CERTS=(\S+)/.exec(banner)![1]!;
    writeFileSync(join(files, 'auth.txt'), `force://${app.consumerKey}:${app.consumerSecret}:${refresh}@${new URL(url).host}`);
    const refused = await sf(['org', 'login', 'sfdx-url', '--sfdx-url-file', 'auth.txt', '--alias', 'tls'], {}, true);
    assert.match(JSON.stringify(refused), /certificate|self.signed|UNABLE_TO_VERIFY|fetch failed/i, 'without the certificate trusted, sf refuses the org');
    const login = await sf(['org', 'login', 'sfdx-url', '--sfdx-url-file', 'auth.txt', '--alias', 'tls'], { NODE_EXTRA_CA_CERTS: ca });
    assert.equal(login.username, 'admin@handshake.demo');
    assert.equal(String(login.instanceUrl).replace(/\/$/, ''), url);
    const query = await sf(['data', 'query', '-q', "SELECT Name FROM Account WHERE Name LIKE 'Bulk CLI%'", '-o', 'tls'], { NODE_EXTRA_CA_CERTS: ca });
    assert.equal((query.records as unknown[]).length, 3);
  });

});
