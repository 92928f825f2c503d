import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TokenManager } from '../src/auth/token-manager.js';
import { HubMetrics } from '../src/metrics.js';

describe('token manager', () => {
  it('makes one token request for any number of concurrent callers', async () => {
    const tm = new TokenManager(new HubMetrics());
    let requests = 0;
    const fetch = async () => {
      requests++;
      await new Promise((r) => setTimeout(r, 20));
      return { accessToken: 'tok-1', expiresIn: 3600 };
    };
    const tokens = await Promise.all(Array.from({ length: 200 }, () => tm.token('c1', fetch)));
    assert.equal(requests, 1);
    assert.ok(tokens.every((t) => t.reveal() === 'tok-1'));
  });

  it('refreshes before expiry, reckoned from the local clock when the token arrived (IdP clock skew does not matter)', async () => {
    let clock = 1_000_000;
    const tm = new TokenManager(new HubMetrics(), () => clock);
    let n = 0;
    // expires_in is relative, so an IdP whose clock is hours off still yields the right local expiry.
    const fetch = async () => ({ accessToken: `tok-${++n}`, expiresIn: 600 });
    assert.equal((await tm.token('c', fetch)).reveal(), 'tok-1');
    clock += 539_000; // 600 s lifetime, 60 s margin: still fresh at 539 s
    assert.equal((await tm.token('c', fetch)).reveal(), 'tok-1');
    clock += 2_000; // past 540 s: refreshed ahead of expiry
    assert.equal((await tm.token('c', fetch)).reveal(), 'tok-2');
  });

  it('keeps a token without expires_in until the API refuses it (Salesforce client credentials)', async () => {
    let clock = 0;
    const tm = new TokenManager(new HubMetrics(), () => clock);
    let n = 0;
    const fetch = async () => ({ accessToken: `tok-${++n}` });
    const first = await tm.token('sf', fetch);
    clock += 365 * 86_400_000;
    assert.equal(await tm.token('sf', fetch), first);
    tm.invalidate('sf', first);
    assert.equal((await tm.token('sf', fetch)).reveal(), 'tok-2');
  });

  it('drops a refused token only if it is still the cached one, so concurrent 401s cause one refresh', async () => {
    const tm = new TokenManager(new HubMetrics());
    let n = 0;
    const fetch = async () => ({ accessToken: `tok-${++n}` });
    const old = await tm.token('c', fetch);
    tm.invalidate('c', old);
    const fresh = await tm.token('c', fetch);
    tm.invalidate('c', old); // a late caller reporting the old token
    assert.equal(await tm.token('c', fetch), fresh);
    assert.equal(n, 2);
  });

  it('shares a failure with every waiting caller, and tries again on the next call', async () => {
    const metrics = new HubMetrics();
    const tm = new TokenManager(metrics);
    let n = 0;
    const failing = async () => {
      n++;
      throw new Error('invalid_client');
    };
    const results = await Promise.allSettled(Array.from({ length: 10 }, () => tm.token('c', failing)));
    assert.ok(results.every((r) => r.status === 'rejected'));
    assert.equal(n, 1);
    assert.equal((await tm.token('c', async () => ({ accessToken: 'ok' }))).reveal(), 'ok');
    assert.match(await metrics.registry.metrics(), /handshake_hub_token_refresh_failures_total\{connection="c"\} 1/);
  });
});
