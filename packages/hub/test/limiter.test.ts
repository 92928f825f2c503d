import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CallLimiter, ratePerSecond } from '../src/flows/calls/limiter.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('a connection\'s call limiter', () => {
  it('keeps at most maxInFlight calls running', async () => {
    const limiter = new CallLimiter({ maxInFlight: 3 });
    let running = 0;
    let peak = 0;
    await Promise.all(Array.from({ length: 20 }, () => limiter.run(async () => {
      peak = Math.max(peak, ++running);
      await sleep(5);
      running--;
    })));
    assert.equal(peak, 3);
  });

  it('halves its concurrency on a throttle and grows back one call per window of successes', () => {
    const limiter = new CallLimiter({ maxInFlight: 16 });
    limiter.throttled(undefined);
    assert.equal(limiter.limit, 8);
    limiter.throttled(undefined);
    assert.equal(limiter.limit, 4);
    for (let i = 0; i < 4; i++) limiter.succeeded();
    assert.equal(limiter.limit, 5, 'one more after a window of 4 successes');
    for (let i = 0; i < 200; i++) limiter.succeeded();
    assert.equal(limiter.limit, 16, 'never past its maximum');
  });

  it('holds every call for Retry-After', async () => {
    const limiter = new CallLimiter({ maxInFlight: 5 });
    limiter.throttled(300);
    const t = Date.now();
    await limiter.run(async () => undefined);
    assert.ok(Date.now() - t >= 290, `waited ${Date.now() - t} ms`);
  });

  it('starts calls no faster than its rate', async () => {
    const limiter = new CallLimiter({ maxInFlight: 50, ratePerSecond: ratePerSecond('20/s') });
    const t = Date.now();
    await Promise.all(Array.from({ length: 30 }, () => limiter.run(async () => undefined)));
    // A full bucket of 20 at once, then 10 more at 20 a second.
    assert.ok(Date.now() - t >= 450, `30 calls took ${Date.now() - t} ms`);
  });

  it('runs a tenth of its concurrency above 90% of the daily API allowance', () => {
    const limiter = new CallLimiter({ maxInFlight: 25 });
    limiter.apiUsage = 0.95;
    assert.equal(limiter.limit, 2);
    assert.throws(() => ratePerSecond('fast'), /not a rate/);
  });
});
