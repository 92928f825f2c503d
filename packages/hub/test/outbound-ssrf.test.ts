import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { checkUrl } from '../src/connections/url-policy.js';
import { refusedAddress } from '../src/net/address-policy.js';
import { Outbound, UnsafeRequestError } from '../src/net/outbound.js';
import { STORES, startTestHub, type TestHub } from './helpers.js';

/** A server on 127.0.0.1 that records what reaches it and answers with `handler`. */
async function recordingServer(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<{ server: Server; url: string; seen: IncomingMessage[] }> {
  const seen: IncomingMessage[] = [];
  const server = createServer((req, res) => {
    seen.push(req);
    handler(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen };
}

// The addresses the issue names, and their neighbours; each must be refused when connecting.
const REFUSED = ['127.0.0.1', '10.0.0.1', '172.16.0.1', '192.168.1.1', '169.254.169.254', '100.64.0.1', '0.0.0.0', '198.18.0.1', '198.19.255.254', '224.0.0.1', '239.255.255.250', '255.255.255.255',
  '::1', '::', '::127.0.0.1', '::ffff:127.0.0.1', '::ffff:10.0.0.1', 'fe80::1', 'febf::1', 'fec0::1', 'fc00::1', 'fd12::1', 'ff02::1', '64:ff9b::7f00:1', '64:ff9b::a00:1', '2002:7f00:1::1', '2002:a9fe:a9fe::', '2001::1'];
const ALLOWED = ['8.8.8.8', '1.1.1.1', '::ffff:8.8.8.8', '64:ff9b::808:808', '2002:808:808::1', '2606:4700:4700::1111'];

describe('outbound requests: every address is checked when connecting, and redirects hop by hop (SSRF)', () => {
  let target: Awaited<ReturnType<typeof recordingServer>>;
  let other: Awaited<ReturnType<typeof recordingServer>>;
  // The test's stand-in for the internet: 127.0.0.1 counts as public, every other refused address stays refused.
  const strict = new Outbound({ allowPrivateNetworks: false, refuse: (a) => (a === '127.0.0.1' ? undefined : refusedAddress(a)), schemes: ['http:', 'https:'] });
  const realPolicy = new Outbound({ allowPrivateNetworks: false, schemes: ['http:', 'https:'] });
  const open = new Outbound({ allowPrivateNetworks: true });

  before(async () => {
    other = await recordingServer((req, res) => res.end(JSON.stringify({ authorization: req.headers.authorization ?? null, apiKey: req.headers['x-api-key'] ?? null, method: req.method, plain: req.headers['x-plain'] ?? null })));
    target = await recordingServer((req, res) => {
      const to = new URL(req.url!, 'http://x').searchParams.get('to');
      const status = Number(new URL(req.url!, 'http://x').searchParams.get('status') ?? 302);
      if (to) res.writeHead(status, { location: to }).end();
      else res.end(JSON.stringify({ authorization: req.headers.authorization ?? null, method: req.method }));
    });
  });
  after(async () => {
    await Promise.all([strict.close(), realPolicy.close(), open.close()]);
    target.server.close();
    other.server.close();
  });

  it('classifies the issue\'s addresses: private, reserved, multicast, broadcast and IPv6 wrappers of them refused; public ones allowed', () => {
    for (const address of REFUSED) assert.ok(refusedAddress(address), `${address} is refused`);
    for (const address of ALLOWED) assert.equal(refusedAddress(address), undefined, `${address} is allowed`);
  });

  it('refuses literal private addresses at connect time, before anything is sent', async () => {
    const port = new URL(target.url).port;
    const before = target.seen.length;
    for (const host of ['127.0.0.1', '[::127.0.0.1]', '[::ffff:127.0.0.1]', '[::ffff:7f00:1]', '[::1]', '0.0.0.0', '2130706433', '0x7f.1']) {
      await assert.rejects(realPolicy.request(new URL(`http://${host}:${port}/`)), (error: Error) => error instanceof UnsafeRequestError && /refusing to connect/.test(error.message), host);
    }
    assert.equal(target.seen.length, before, 'no request reached the server');
  });

  it('refuses a name that resolves to a private address when connecting (a name saved as public and rebound later), and fails closed when the lookup fails', async () => {
    const port = new URL(target.url).port;
    const before = target.seen.length;
    await assert.rejects(realPolicy.request(new URL(`http://localhost:${port}/`)), (error: Error) => error instanceof UnsafeRequestError && /localhost: 127\.0\.0\.1 is a loopback address/.test(error.message));
    await assert.rejects(realPolicy.request(new URL('http://no-such-host.invalid/')), /ENOTFOUND|EAI_AGAIN/);
    assert.equal(target.seen.length, before);
    assert.match((await checkUrl('https://no-such-host.invalid/', { allowPrivateNetworks: false }))!, /could not be resolved/);
    for (const url of ['https://[::127.0.0.1]/', 'https://[febf::1]/', 'https://[fec0::1]/', 'https://[64:ff9b::7f00:1]/', 'https://[2002:7f00:1::]/', 'https://198.18.0.1/', 'https://224.0.0.1/', 'https://255.255.255.255/']) {
      assert.match((await checkUrl(url, { allowPrivateNetworks: false }))!, /private or reserved/, url);
    }
  });

  it('checks every redirect hop: a public URL that redirects to a private address is refused', async () => {
    const before = other.seen.length;
    for (const to of ['http://[::1]:1/', 'http://169.254.169.254/latest/meta-data/', `http://[::ffff:7f00:1]:${new URL(other.url).port}/`]) {
      await assert.rejects(strict.request(new URL(`${target.url}/?to=${encodeURIComponent(to)}`)), UnsafeRequestError, to);
    }
    await assert.rejects(strict.request(new URL(`${target.url}/?to=${encodeURIComponent('file:///etc/passwd')}`)), /refusing to request file:/);
    assert.equal(other.seen.length, before);
  });

  it('keeps credentials to their origin: a redirect to another origin drops them, one on the same origin keeps them', async () => {
    const credentials = { authorization: 'Bearer secret-token', 'x-api-key': 'secret-key' };
    const cross = (await (await open.request(new URL(`${target.url}/?to=${encodeURIComponent(`${other.url}/landing`)}`), { credentials, headers: { 'x-plain': 'kept' } })).json()) as Record<string, unknown>;
    assert.deepEqual(cross, { authorization: null, apiKey: null, method: 'GET', plain: 'kept' });
    const same = (await (await open.request(new URL(`${target.url}/?to=${encodeURIComponent('/landing')}`), { credentials })).json()) as Record<string, unknown>;
    assert.equal(same.authorization, 'Bearer secret-token');
    // 303 turns a POST into a GET; 307 keeps the method (and still drops credentials across origins).
    assert.equal(((await (await open.request(new URL(`${target.url}/?status=303&to=${encodeURIComponent('/landing')}`), { method: 'POST', body: '{}', headers: { 'content-type': 'application/json' } })).json()) as { method: string }).method, 'GET');
    const kept = (await (await open.request(new URL(`${target.url}/?status=307&to=${encodeURIComponent(`${other.url}/x`)}`), { method: 'POST', body: '{}', credentials })).json()) as Record<string, unknown>;
    assert.deepEqual([kept.method, kept.authorization], ['POST', null]);
    // A redirect loop ends after the limit, with the last 3xx as the answer.
    const loop = await open.request(new URL(`${target.url}/?to=${encodeURIComponent(`/?to=${encodeURIComponent('/?to=/')}`)}`), { maxRedirects: 1 });
    assert.equal(loop.status, 302);
    await loop.discard();
  });

  describe('through the hub (strict, as in production)', () => {
    let hub: TestHub;
    before(async () => {
      hub = await startTestHub(STORES[0]!, { allowPrivateNetworks: false });
    });
    after(async () => hub.close());

    it('a named credential whose URL later points inside the network is refused when called, and nothing is sent', async () => {
      const key = await hub.key();
      // As if its host name had been rebound since it was saved: the stored URL is what the check sees at connect time.
      const created = await hub.api(key, 'POST', '/api/v1/external-credentials', { name: 'Ext', protocol: 'custom_headers', headers: [{ name: 'X-Api-Key', value: 'k' }], principals: [{ name: 'p', grantedTo: ['test'] }] });
      assert.ok(created.status < 300, created.text);
      const ext = await hub.ctx.db.selectFrom('external_credentials').select('id').where('name', '=', 'Ext').executeTakeFirstOrThrow();
      await hub.ctx.db.insertInto('named_credentials').values({ id: 'nc-rebound', name: 'Rebound', base_url: `https://127.0.0.1:${new URL(target.url).port}`, external_credential_id: ext.id, principal: 'p', created_at: Date.now() }).execute();
      for (const url of ['https://[::127.0.0.1]/', 'https://[fe80::1]/', 'https://198.18.0.1/']) {
        const res = await hub.api(key, 'POST', '/api/v1/named-credentials', { name: 'Inside', baseUrl: url, externalCredential: 'Ext', principal: 'p' });
        assert.equal(res.status, 400, url);
        assert.match(res.text, /baseUrl/);
      }
      const before = target.seen.length;
      const { callout } = await import('../src/credentials/named-credentials.js');
      await assert.rejects(callout(hub.ctx, 'callout:Rebound/ping', {}, 'test'), /refusing to connect to 127\.0\.0\.1 is a loopback address/);
      assert.equal(target.seen.length, before);
    });
  });
});
