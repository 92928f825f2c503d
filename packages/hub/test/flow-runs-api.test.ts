import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { v7 as uuidv7 } from 'uuid';
import type { FlowEventTable, FlowRunTable } from '../src/store/schema.js';
import { dashboardSchema } from '../src/api/responses.js';
import { STORES, startTestHub, type TestHub } from './helpers.js';

const RUNS = 1234;
const STATUSES = ['success', 'failed', 'dead', 'skipped'] as const;

/** Runs are read a page at a time, filtered, one by one, and counted without a cap. */
for (const store of STORES) {
  describe(`flow runs API: paging, filters, one run, stats (${store.name})`, () => {
    let hub: TestHub;
    let key: string;
    const base = Date.parse('2026-12-01T00:00:00Z');
    before(async () => {
      // No engine: the runs are written as the engine writes them, and nothing else moves.
      hub = await startTestHub(store, { flows: false });
      key = await hub.key(['flows:read']);
      const now = Date.now();
      await hub.ctx.db.insertInto('flows').values({ id: 'flow-1', name: 'paged', definition: JSON.stringify({ name: 'paged', trigger: { type: 'webhook' }, actions: [] }), status: 'active', created_at: now, updated_at: now, saved_by: null }).execute();
      const events: FlowEventTable[] = [];
      const runs: FlowRunTable[] = [];
      for (let i = 0; i < RUNS; i++) {
        const status = STATUSES[i % STATUSES.length]!;
        const eventStatus = status === 'dead' ? 'dead' : status === 'failed' ? 'pending' : 'done';
        const event: FlowEventTable = { id: uuidv7(), flow_id: 'flow-1', dedupe_key: `REC-${i % 100}:v${i}`, record_key: `REC-${i % 100}`, claim: null, payload: '{}', status: eventStatus, attempts: 1, next_attempt_at: now + 3_600_000, last_error: null, created_at: base + i * 1000, updated_at: now };
        events.push(event);
        // Every 10th pair of runs starts in the same millisecond: the keyset must not lose or repeat them.
        runs.push({ id: uuidv7(), flow_id: 'flow-1', event_id: event.id, status, attempt: 1, steps: JSON.stringify([{ action: 'send', status, durationMs: 1 }]), error: status === 'success' ? null : `run ${i} ${status}`, started_at: base + Math.floor(i / 2) * 1000, duration_ms: 5 });
      }
      for (let i = 0; i < events.length; i += 200) await hub.ctx.db.insertInto('flow_events').values(events.slice(i, i + 200)).execute();
      for (let i = 0; i < runs.length; i += 200) await hub.ctx.db.insertInto('flow_runs').values(runs.slice(i, i + 200)).execute();
    });
    after(() => hub.close());

    const get = async (path: string) => hub.api(key, 'GET', `/api/v1/flows/paged${path}`);
    const pageAll = async (query: string) => {
      const seen: { id: string; startedAt: string; status: string; record: string }[] = [];
      let next: string | null = null;
      let pages = 0;
      do {
        const res = await get(`/runs?${query}${next ? `&cursor=${next}` : ''}`);
        assert.equal(res.status, 200, res.text);
        seen.push(...(res.body.runs as typeof seen));
        next = res.body.next as string | null;
        pages++;
      } while (next);
      return { seen, pages };
    };

    it(`pages through all ${RUNS} runs, newest first, none lost or repeated, with a next cursor until the last page`, async () => {
      const { seen, pages } = await pageAll('limit=500');
      assert.equal(pages, 3);
      assert.equal(seen.length, RUNS);
      assert.equal(new Set(seen.map((r) => r.id)).size, RUNS);
      for (let i = 1; i < seen.length; i++) assert.ok(seen[i - 1]!.startedAt >= seen[i]!.startedAt, 'newest first');
    });

    it('filters by status, time window and record (its id or its exact dedupe key)', async () => {
      const dead = await pageAll('status=dead&limit=100');
      assert.equal(dead.seen.length, Math.ceil((RUNS - 2) / 4));
      assert.ok(dead.seen.every((r) => r.status === 'dead'));
      const since = new Date(base + 100_000).toISOString();
      const until = new Date(base + 200_000).toISOString();
      assert.equal((await pageAll(`since=${since}&until=${until}&limit=37`)).seen.length, 200, '100 seconds, two runs a second');
      const record = await pageAll('record=REC-7&limit=5');
      assert.equal(record.seen.length, Math.floor((RUNS - 7) / 100) + 1);
      assert.ok(record.seen.every((r) => r.record === 'REC-7'));
      assert.equal((await pageAll('record=REC-7:v107')).seen.length, 1);
    });

    it('answers one run with its steps, and 404 for a run of no such id', async () => {
      const newest = (await get('/runs?limit=1')).body.runs as { id: string }[];
      const one = await get(`/runs/${newest[0]!.id}`);
      assert.equal(one.status, 200);
      assert.deepEqual((one.body.run as { steps: { action: string }[] }).steps.map((s) => s.action), ['send']);
      assert.equal((await get('/runs/0190aaaa-0000-7000-8000-000000000000')).status, 404);
    });

    it('counts every run and event, never capped, with backlog, lag and the last run', async () => {
      const res = await get('/stats');
      assert.equal(res.status, 200, res.text);
      const stats = res.body as { runs: Record<string, number>; events: { pending: number; done: number; dead: number }; backlog: number; lagMs: number; lastRun: { id: string } };
      assert.equal(Object.values(stats.runs).reduce((a, b) => a + b, 0), RUNS);
      assert.equal(stats.runs.success, Math.ceil(RUNS / 4));
      assert.equal(stats.events.pending + stats.events.done + stats.events.dead, RUNS);
      assert.equal(stats.backlog, stats.events.pending);
      assert.ok(stats.lagMs > 0, 'the oldest pending event has waited');
      assert.equal(stats.lastRun.id, ((await get('/runs?limit=1')).body.runs as { id: string }[])[0]!.id);
      assert.equal((res.body as { lastError: string }).lastError, `run ${RUNS - 1} failed`, 'the newest run error');
    });

    it('refuses a bad limit, status, time or cursor with a 400 naming the parameter', async () => {
      for (const [query, path] of [['limit=0', 'limit'], ['limit=501', 'limit'], ['status=bogus', 'status'], ['since=yesterday', 'since'], ['cursor=not-a-cursor', 'cursor'], ['color=red', '']] as const) {
        const res = await get(`/runs?${query}`);
        assert.equal(res.status, 400, `${query}: ${res.text}`);
        if (path) assert.ok((res.body.errors as { path: string }[]).some((e) => e.path === path), `${query} names ${path}: ${res.text}`);
      }
    });

    it('draws the dashboard on this store: runs per minute in the last hour, each run once', async () => {
      const recent = Date.now() - 5 * 60_000;
      await hub.ctx.db.insertInto('flow_runs').values(Array.from({ length: 7 }, (_, i) => ({ id: uuidv7(), flow_id: 'flow-1', event_id: `recent-${i}`, status: i < 5 ? 'success' : 'dead', attempt: 1, steps: '[]', error: null, started_at: recent + i * 1000, duration_ms: 1 }))).execute();
      const res = await hub.api(key, 'GET', '/api/v1/dashboard');
      assert.equal(res.status, 200, res.text);
      const parsed = dashboardSchema.parse(res.body);
      const paged = parsed.runs.find((f) => f.flow === 'paged')!;
      assert.deepEqual([paged.points.reduce((n, p) => n + p.success, 0), paged.points.reduce((n, p) => n + p.dead, 0)], [5, 2]);
      await hub.ctx.db.deleteFrom('flow_runs').where('event_id', 'like', 'recent-%').execute();
    });

    it('streams runs as they are recorded (server-sent events), a run committed late included; an open stream does not hold up shutdown', async () => {
      const res = await fetch(`${hub.url}/api/v1/flows/paged/runs/stream`, { headers: { authorization: `Bearer ${key}` } });
      assert.equal(res.status, 200);
      assert.match(res.headers.get('content-type')!, /^text\/event-stream/);
      const reader = res.body!.getReader();
      let text = '';
      const now = Date.now();
      const run = (record: string, startedAt: number): FlowRunTable => ({ id: uuidv7(), flow_id: 'flow-1', event_id: `live-${record}`, status: 'success', attempt: 1, steps: '[]', error: null, started_at: startedAt, duration_ms: 3 });
      await hub.ctx.db.insertInto('flow_runs').values(run('now', now + 100)).execute();
      // Written after a newer one, though it started earlier (a slower unit of the same wave).
      setTimeout(() => void hub.ctx.db.insertInto('flow_runs').values(run('late', now - 5000)).execute(), 1500);
      const deadline = Date.now() + 8000;
      while (!(text.includes('live-now') && text.includes('live-late')) && Date.now() < deadline) {
        const { value, done } = await reader.read();
        if (done) break;
        text += Buffer.from(value).toString('utf8');
      }
      assert.match(text, /event: run\ndata: \{"id":"[^"]+","eventId":"live-now"/);
      assert.ok(text.includes('"eventId":"live-late"'), 'the late run is sent too');
      assert.equal(text.match(/live-now/g)?.length, 1, 'each run once');
      // Left open: the hub's close (after all tests) must end it rather than wait for it.
    });

    it('caps live streams at 20 per API key (429, saying what to do); another key is not held up, and closing one frees its place', async () => {
      const mine = await hub.key(['flows:read']);
      const url = `${hub.url}/api/v1/flows/paged/runs/stream`;
      const open = async (apiKey: string) => {
        const controller = new AbortController();
        const res = await fetch(url, { headers: { authorization: `Bearer ${apiKey}` }, signal: controller.signal });
        return { res, close: () => controller.abort() };
      };
      const held = [];
      for (let i = 0; i < 20; i++) {
        const stream = await open(mine);
        assert.equal(stream.res.status, 200);
        held.push(stream);
      }
      const refused = await open(mine);
      assert.equal(refused.res.status, 429);
      assert.match(await refused.res.text(), /has 20 live run streams open already \(at most 20\); close one/);
      const other = await open(key);
      assert.equal(other.res.status, 200, 'another key has its own allowance');
      other.close();
      held.pop()!.close();
      let again: Awaited<ReturnType<typeof open>> | undefined;
      for (let tries = 0; tries < 50 && again?.res.status !== 200; tries++) {
        await new Promise((r) => setTimeout(r, 20));
        again = await open(mine);
        if (again.res.status !== 200) await again.res.text();
      }
      assert.equal(again?.res.status, 200, 'a closed stream gives its place back');
      again!.close();
      for (const stream of held) stream.close();
    });
  });
}
