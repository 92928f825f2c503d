import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { STORES, startTestOrg, tokenFor, type TestOrg } from './helpers/org.js';

describe('setup documents that attack the parser get a 400 in the API\'s format, never a 500', () => {
  let org: TestOrg;
  let admin: string;
  before(async () => {
    org = await startTestOrg(STORES[0]!);
    admin = await tokenFor(org, 'Admin_Tools');
  });
  after(() => org.close());

  it('an alias bomb, YAML nested 1,000 deep, JSON nested 1,000 deep', async () => {
    const documents: [string, string, RegExp][] = [
      ['application/yaml', `a: &a [x, x, x, x, x, x, x, x, x, x]\n${Array.from({ length: 150 }, (_, i) => `k${i}: [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]`).join('\n')}\n`, /too many aliases/],
      ['application/yaml', `users: ${'['.repeat(1000)}${']'.repeat(1000)}\n`, /nested too deeply/],
      ['application/json', `{"users":${'{"a":'.repeat(1000)}1${'}'.repeat(1000)}}`, /nested too deeply/],
    ];
    for (const [type, body, expected] of documents) {
      const res = await fetch(`${org.instanceUrl}/services/admin/v1/setup`, { method: 'POST', headers: { authorization: `Bearer ${admin}`, 'content-type': type }, body });
      const text = await res.text();
      assert.equal(res.status, 400, `${type}: ${res.status} ${text.slice(0, 200)}`);
      assert.match(text, expected);
    }
  });
});
