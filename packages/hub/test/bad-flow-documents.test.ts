import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { STORES, startTestHub, type TestHub } from './helpers.js';

describe('flow documents that attack the parser get a 400 problem, never a 500', () => {
  let hub: TestHub;
  before(async () => {
    hub = await startTestHub(STORES[0]!);
  });
  after(() => hub.close());

  it('an alias bomb, YAML nested 1,000 deep, JSON nested 1,000 and 20,000 deep', async () => {
    const key = await hub.key(['flows:read', 'flows:write']);
    const documents: [string, string, RegExp][] = [
      ['application/yaml', `a: &a [x, x, x, x, x, x, x, x, x, x]\n${Array.from({ length: 150 }, (_, i) => `k${i}: [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]`).join('\n')}\n`, /too many aliases/],
      ['application/yaml', `name: deep\ntrigger: ${'['.repeat(1000)}${']'.repeat(1000)}\n`, /nested too deeply/],
      ['application/json', `{"name":"deep","trigger":${'{"a":'.repeat(1000)}1${'}'.repeat(1000)}}`, /nested too deeply/],
      // Deep enough that turning the parsed body back into text overflows the stack (found by the fuzzer).
      ['application/json', `{"name":"deep","trigger":${'['.repeat(20_000)}1${']'.repeat(20_000)}}`, /nested too deeply/],
    ];
    for (const path of ['/api/v1/flows/validate', '/api/v1/flows']) {
      for (const [type, body, expected] of documents) {
        const res = await fetch(`${hub.url}${path}`, { method: path.endsWith('validate') ? 'POST' : 'PUT', headers: { authorization: `Bearer ${key}`, 'content-type': type }, body });
        const text = await res.text();
        assert.equal(res.status, 400, `${path} ${type}: ${res.status} ${text.slice(0, 200)}`);
        assert.equal(res.headers.get('content-type'), 'application/problem+json; charset=utf-8');
        assert.match(text, expected);
      }
    }
  });
});
