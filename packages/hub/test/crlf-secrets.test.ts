import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { STORES, startTestHub, type TestHub } from './helpers.js';

const EVIL = 'line-one-secret\r\nX-Injected: leaked-value';

describe('a secret with a line break or NUL is refused with a 400 naming its field, and never logged', () => {
  let hub: TestHub;
  let logs = '';
  before(async () => {
    hub = await startTestHub(STORES[0]!, { logLevel: 'trace', logStream: new Writable({ write(chunk: Buffer, _enc, done) { logs += chunk.toString(); done(); } }) });
  });
  after(() => hub.close());

  it('in connections, identity providers and external credentials', async () => {
    const key = await hub.key(['connections:write']);
    const cases: [string, unknown, string][] = [
      ['/api/v1/connections', { name: 'a', app: 'http', method: 'oauth2_client_credentials', credentials: { baseUrl: 'https://api.example.com', tokenUrl: 'https://api.example.com/token', clientId: 'c', clientSecret: EVIL } }, 'credentials.clientSecret'],
      ['/api/v1/connections', { name: 'b', app: 'http', method: 'bearer', credentials: { baseUrl: 'https://api.example.com', token: EVIL } }, 'credentials.token'],
      ['/api/v1/connections', { name: 'c', app: 'http', method: 'basic', credentials: { baseUrl: 'https://api.example.com', username: 'u', password: 'p\u0000w' } }, 'credentials.password'],
      ['/api/v1/connections', { name: 'd', app: 'salesforce', method: 'oauth2_client_credentials', credentials: { instanceUrl: 'https://example.my.salesforce.com', consumerKey: 'k', consumerSecret: EVIL } }, 'credentials.consumerSecret'],
      ['/api/v1/identity-providers', { name: 'e', tokenUrl: 'https://idp.example.com/token', clientId: 'c', clientSecret: EVIL }, 'clientSecret'],
      ['/api/v1/external-credentials', { name: 'f', protocol: 'custom_headers', headers: [{ name: 'X-Key', value: EVIL }], principals: [{ name: 'p' }] }, 'headers.0.value'],
    ];
    for (const [path, body, field] of cases) {
      const res = await hub.api(key, 'POST', path, body);
      assert.equal(res.status, 400, `${path} ${field}: ${res.text}`);
      assert.ok(JSON.stringify(res.body.errors).includes(field), `${field} named: ${res.text}`);
      assert.ok(!res.text.includes('line-one-secret') && !res.text.includes('leaked-value') && !res.text.includes('p\\u0000w'), res.text);
    }
    assert.ok(logs.length > 0, 'the hub logged the requests');
    assert.ok(!logs.includes('line-one-secret') && !logs.includes('leaked-value'), 'no value in the logs');
  });
});
