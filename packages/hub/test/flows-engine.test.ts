import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { Connection } from 'jsforce';
import { startErp, type RunningErp } from '../../demo-erp/src/start.js';
import { startTestOrg, tokenFor, type TestOrg } from '../../org/test/helpers/org.js';
import { pendingEvent, queueEvents } from '../src/flows/engine/event-queue.js';
import { wireDemo } from '../src/demo/wire-demo.js';
import { registerExternalService } from '../src/flows/external-services.js';
import { deadLetters, saveFlow, setFlowStatus } from '../src/flows/flows.js';
import { listRuns } from '../src/flows/runs.js';
import { STORES, type TestHub, startTestHub, until } from './helpers.js';

const actor = { name: 'engine test' };
const CLIENT = { clientId: 'handshake-hub', clientSecret: `hub-${randomBytes(16).toString('hex')}` };


/**
 * A target API made for these tests (a real HTTP server on 127.0.0.1): it records what arrives and
 * when, answers after a random delay (so concurrent calls finish out of order), and can hang or
 * throttle on request.
 */
class Target {
  server!: Server;
  url = '';
  /** Versions applied per record id, in the order they were applied. */
  applied = new Map<string, number[]>();
  /** Arrival times per path. */
  arrivals = new Map<string, number[]>();
  /** The next N calls to a path answer 429 with this Retry-After. */
  throttle = new Map<string, { count: number; retryAfter: string }>();
  hangMs = 10_000;
  #hanging = new Set<ServerResponse>();

  async start(): Promise<void> {
    this.server = createServer((req, res) => void this.#handle(req, res));
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let text = '';
    for await (const chunk of req) text += String(chunk);
    const path = (req.url ?? '').split('?')[0]!;
    const list = this.arrivals.get(path) ?? [];
    list.push(Date.now());
    this.arrivals.set(path, list);
    const json = (status: number, body: unknown, headers: Record<string, string> = {}): void => {
      res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body));
    };
    const throttled = [...this.throttle.entries()].find(([p]) => path.startsWith(p));
    if (throttled && throttled[1].count > 0) {
      throttled[1].count--;
      return json(429, { title: 'slow down' }, { 'retry-after': throttled[1].retryAfter });
    }
    if (path === '/openapi.json') return json(200, SPEC);
    if (path === '/feed') return json(500, { title: 'the feed is down' });
    if (path === '/numfeed') {
      // Numeric cursors and a "more" flag under another name, as many real feeds answer.
      const at = Number(new URL(req.url!, 'http://x').searchParams.get('cursor') ?? 0);
      const items = ['a', 'b', 'c'].slice(at, at + 2).map((id) => ({ id, updatedAt: '1' }));
      return json(200, { data: items, next: at + items.length, meta: { more: at + items.length < 3 } });
    }
    if (path === '/badfeed') return json(200, { items: [], nextCursor: { page: 2 } });
    if (path.startsWith('/hang')) {
      this.#hanging.add(res);
      setTimeout(() => { this.#hanging.delete(res); json(200, { late: true }); }, this.hangMs);
      return;
    }
    const m = /^\/records\/([^/]+)$/.exec(path);
    if (m) {
      // The write is applied when the answer leaves, after a random delay: overlapping calls for one
      // record would land out of order here.
      await new Promise((r) => setTimeout(r, Math.random() * 15));
      const versions = this.applied.get(m[1]!) ?? [];
      versions.push((JSON.parse(text) as { version: number }).version);
      this.applied.set(m[1]!, versions);
      return json(200, { id: m[1], ok: true });
    }
    return json(200, { ok: true });
  }

  async close(): Promise<void> {
    for (const res of this.#hanging) res.destroy();
    this.server.closeAllConnections();
    await new Promise((r) => this.server.close(r));
  }
}

const body = (properties: Record<string, unknown>) => ({ required: true, content: { 'application/json': { schema: { type: 'object', properties } } } });
const ok = { 200: { description: 'ok' } };
const SPEC = {
  openapi: '3.0.3',
  info: { title: 'Engine test target', version: '1' },
  paths: {
    '/records/{id}': { put: { operationId: 'putRecord', parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }], requestBody: body({ version: { type: 'integer' } }), responses: ok } },
    '/hang': { post: { operationId: 'hang', requestBody: body({ n: { type: 'integer' } }), responses: ok } },
    '/fast': { post: { operationId: 'fast', requestBody: body({ n: { type: 'integer' } }), responses: ok } },
    '/limited/a': { post: { operationId: 'limitedA', requestBody: body({ n: { type: 'integer' } }), responses: ok } },
    '/limited/b': { post: { operationId: 'limitedB', requestBody: body({ n: { type: 'integer' } }), responses: ok } },
    '/feed': { get: { operationId: 'feed', responses: ok } },
    '/numfeed': { get: { operationId: 'numfeed', responses: ok } },
    '/badfeed': { get: { operationId: 'badfeed', responses: ok } },
    '/echo': { post: { operationId: 'echo', requestBody: body({ value: { type: 'string' } }), responses: ok } },
  },
};

const webhookFlow = (name: string, operation: string, mapping: string, extra = '', attempts = 2) => `name: ${name}
trigger: { type: webhook, idPath: ref }
${extra}
retry: { attempts: ${attempts}, initialDelay: 50ms, maxDelay: 100ms }
actions:
  - name: call
    type: service
    service: Target
    operation: ${operation}
${mapping}`;

for (const store of STORES) {
  describe(`flow engine on ${store.name}: concurrency, order, isolation, budgets, batches, rate limits`, () => {
    let hub: TestHub;
    let target: Target;
    let hookKey: string;
    const logged: string[] = [];
    const deliver = async (flow: string, payload: unknown, key = randomUUID()) => {
      const res = await fetch(`${hub.url}/api/v1/hooks/${flow}`, { method: 'POST', headers: { authorization: `Bearer ${hookKey}`, 'content-type': 'application/json', 'idempotency-key': key }, body: JSON.stringify(payload) });
      assert.ok(res.status === 202 || res.status === 200, `webhook ${flow}: ${res.status} ${await res.text()}`);
    };

    before(async () => {
      target = new Target();
      await target.start();
      hub = await startTestHub(store, { flows: { idleMs: 20, log: { error: (_object, message) => logged.push(message) } } });
      const admin = await hub.key();
      const post = async (path: string, payload: unknown) => {
        const res = await hub.api(admin, 'POST', path, payload);
        assert.ok(res.status < 300, `${path}: ${res.text}`);
      };
      await post('/api/v1/external-credentials', { name: 'Target Key', protocol: 'custom_headers', headers: [{ name: 'X-Api-Key', value: 'target-secret' }], principals: [{ name: 'p', grantedTo: ['flows', 'test'] }] });
      await post('/api/v1/named-credentials', { name: 'TargetApi', baseUrl: target.url, externalCredential: 'Target Key', principal: 'p' });
      await registerExternalService(hub.ctx, actor, { name: 'Target', namedCredential: 'TargetApi', spec: SPEC });
      hookKey = await hub.key(['flows:trigger']);
    });
    after(async () => {
      await hub.close();
      await target.close();
    });

    it('applies each record\'s versions in order however many events run at once (property)', async () => {
      await saveFlow(hub.ctx, actor, webhookFlow('ordered', 'putRecord', `    params: { id: { path: ref } }
    mapping: { version: { path: version } }`, 'concurrency: 10'));
      let round = 0;
      await fc.assert(fc.asyncProperty(fc.array(fc.integer({ min: 0, max: 5 }), { minLength: 20, maxLength: 60 }), async (picks) => {
        round++;
        const versions = new Map<string, number>();
        for (const pick of picks) {
          const ref = `r${round}-${pick}`;
          const version = (versions.get(ref) ?? 0) + 1;
          versions.set(ref, version);
          await deliver('ordered', { ref, version });
        }
        await until('every version to arrive', () => [...versions].every(([ref, v]) => target.applied.get(ref)?.length === v), 30_000);
        for (const [ref, latest] of versions) {
          const applied = target.applied.get(ref)!;
          assert.deepEqual(applied, Array.from({ length: latest }, (_, i) => i + 1), `${ref} got its versions in order`);
        }
      }), { numRuns: 6 });
      // Concurrency was real: more than one call overlapped.
      const runs = (await listRuns(hub.ctx, 'ordered', { limit: 500 })).runs;
      const spans = runs.map((r) => [Date.parse(r.startedAt), Date.parse(r.startedAt) + r.durationMs] as const);
      const overlapping = spans.some(([s, e], i) => spans.some(([s2], j) => j !== i && s2 > s && s2 < e));
      assert.ok(overlapping, 'events ran at the same time');
    });

    it('a flow whose target hangs for 10 s does not delay another flow', async () => {
      await saveFlow(hub.ctx, actor, webhookFlow('hanging', 'hang', '    mapping: { n: { path: n } }', 'concurrency: 2'));
      await saveFlow(hub.ctx, actor, webhookFlow('quick', 'fast', '    mapping: { n: { path: n } }'));
      for (let n = 0; n < 6; n++) await deliver('hanging', { ref: `h${n}`, n });
      await until('the hanging calls', () => (target.arrivals.get('/hang')?.length ?? 0) >= 2);
      const latencies: number[] = [];
      for (let n = 0; n < 5; n++) {
        const before = target.arrivals.get('/fast')?.length ?? 0;
        const t = Date.now();
        await deliver('quick', { ref: `q${n}`, n });
        await until('the quick call', () => (target.arrivals.get('/fast')?.length ?? 0) > before, 5000);
        latencies.push(Date.now() - t);
      }
      assert.ok(Math.max(...latencies) < 1000, `the quick flow's events arrived in ${latencies.join(', ')} ms while the other flow hung`);
      await setFlowStatus(hub.ctx, actor, 'hanging', 'paused');
    });

    it('a paused flow with 1,000 due events does not delay an active one', async () => {
      await saveFlow(hub.ctx, actor, webhookFlow('parked', 'fast', '    mapping: { n: { path: n } }'));
      await setFlowStatus(hub.ctx, actor, 'parked', 'paused');
      // The engine re-reads flows every 250 ms: until it has seen the pause, the flow would still claim events.
      await new Promise((r) => setTimeout(r, 500));
      const parked = (await hub.ctx.db.selectFrom('flows').select('id').where('name', '=', 'parked').executeTakeFirstOrThrow()).id;
      // Older than anything the active flow will queue: a due query across flows would meet these first.
      await queueEvents(hub.ctx.db, hub.ctx.work, Array.from({ length: 1000 }, (_, i) => pendingEvent(parked, `parked-${i}`, { ref: `p${i}`, n: i }, Date.now() - 60_000)));
      const before = target.arrivals.get('/fast')?.length ?? 0;
      const t = Date.now();
      await deliver('quick', { ref: 'after-parked', n: 1 });
      await until('the active flow\'s event', () => (target.arrivals.get('/fast')?.length ?? 0) > before, 5000);
      assert.ok(Date.now() - t < 1000, `arrived in ${Date.now() - t} ms`);
      const pending = await hub.ctx.db.selectFrom('flow_events').select((eb) => eb.fn.countAll<number>().as('n')).where('flow_id', '=', parked).where('status', '=', 'pending').executeTakeFirstOrThrow();
      assert.equal(Number(pending.n), 1000, 'the paused flow ran none of them');
      await hub.ctx.db.deleteFrom('flow_events').where('flow_id', '=', parked).execute();
    });

    it('runaway expressions fail their event in under a second, are dead-lettered, and the API keeps answering', async () => {
      const key = await hub.key(['flows:read']);
      for (const [name, expr] of [['recursive', '($f := function($n){ $f($n+1) }; $f(0))'], ['huge', '$join([1..10000000].$string($), ",")']] as const) {
        const saved = await saveFlow(hub.ctx, actor, webhookFlow(`runaway-${name}`, 'echo', `    mapping: { value: { expr: ${JSON.stringify(expr)} } }`));
        assert.ok(name === 'huge' ? saved.warnings.some((w) => /large range/.test(w.message)) : saved.warnings.some((w) => /defines a function/.test(w.message)), `saved with a warning: ${JSON.stringify(saved.warnings)}`);
        const apiTimes: number[] = [];
        let polling = true;
        const poller = (async () => {
          while (polling) {
            const t = Date.now();
            assert.equal((await hub.api(key, 'GET', '/api/v1/flows')).status, 200);
            apiTimes.push(Date.now() - t);
            await new Promise((r) => setTimeout(r, 10));
          }
        })();
        const t = Date.now();
        await deliver(`runaway-${name}`, { ref: name });
        const dead = await until('the dead letter', async () => (await deadLetters(hub.ctx, `runaway-${name}`))[0], 5000);
        const took = Date.now() - t;
        polling = false;
        await poller;
        assert.ok(took < 1000, `${name}: dead-lettered in ${took} ms`);
        assert.match(String(dead.error), /expression (exceeded 50 ms|nested deeper|built a sequence)/);
        assert.equal(dead.attempts, 1, 'a budget overrun is not retried');
        assert.ok(Math.max(...apiTimes) < 500, `${name}: the API answered within ${Math.max(...apiTimes)} ms throughout`);
        assert.equal(target.arrivals.get('/echo')?.length ?? 0, 0, 'nothing was sent');
      }
    });

    it('429 with Retry-After: 3 pauses the connection for 3 s, for every flow that uses it', async () => {
      await saveFlow(hub.ctx, actor, webhookFlow('limited-a', 'limitedA', '    mapping: { n: { path: n } }', '', 5));
      await saveFlow(hub.ctx, actor, webhookFlow('limited-b', 'limitedB', '    mapping: { n: { path: n } }'));
      target.throttle.set('/limited/a', { count: 1, retryAfter: '3' });
      await deliver('limited-a', { ref: 'a1', n: 1 });
      await until('the throttled call', () => target.arrivals.get('/limited/a')?.length === 1);
      const throttledAt = target.arrivals.get('/limited/a')![0]!;
      await deliver('limited-b', { ref: 'b1', n: 1 });
      await until('both calls through', () => target.arrivals.get('/limited/a')?.length === 2 && target.arrivals.get('/limited/b')?.length === 1, 10_000);
      const retriedAfter = target.arrivals.get('/limited/a')![1]! - throttledAt;
      const otherAfter = target.arrivals.get('/limited/b')![0]! - throttledAt;
      assert.ok(retriedAfter >= 2900 && retriedAfter < 4500, `the throttled flow called again after ${retriedAfter} ms`);
      assert.ok(otherAfter >= 2900 && otherAfter < 4500, `the other flow on the same connection waited too: ${otherAfter} ms`);
      // The call's duration is recorded when its answer is read, a moment after it reached the target.
      const metrics = await until('the calls in the metrics', async () => {
        const text = await hub.ctx.metrics.registry.metrics();
        return /handshake_hub_flow_action_seconds_count\{flow="limited-b",action="call",connection="TargetApi"\} 1/.test(text) && text;
      }, 5000);
      assert.match(metrics, /handshake_hub_flow_runs_total\{flow="limited-a",outcome="failed"\} 1/);
    });

    it('branches with per-action when: conditions, and fills or leaves out empty values (default:, omitIfNull:)', async () => {
      await saveFlow(hub.ctx, actor, `name: branching
trigger: { type: webhook, idPath: ref }
actions:
  - name: for-a
    type: service
    service: Target
    operation: echo
    when: "kind = 'a'"
    mapping: { value: { path: note, default: none } }
  - name: for-b
    type: service
    service: Target
    operation: echo
    when: "kind = 'b'"
    mapping: { value: { path: note, omitIfNull: true } }
`);
      await deliver('branching', { ref: 'br-1', kind: 'a' });
      await deliver('branching', { ref: 'br-2', kind: 'b', note: null });
      const runs = await until('both runs', async () => {
        const list = (await listRuns(hub.ctx, 'branching')).runs;
        return list.length === 2 && list;
      }, 5000);
      const steps = (record: string) => (runs.find((r) => r.record === record)!.steps as { action: string; status: string; input?: { body: Record<string, unknown> } }[]);
      assert.deepEqual(steps('br-1').map((st) => [st.action, st.status]), [['for-a', 'success'], ['for-b', 'skipped']]);
      assert.deepEqual(steps('br-1')[0]!.input!.body, { value: 'none' }, 'the default filled the missing note');
      assert.deepEqual(steps('br-2').map((st) => [st.action, st.status]), [['for-a', 'skipped'], ['for-b', 'success']]);
      assert.deepEqual(steps('br-2')[1]!.input!.body, {}, 'the null note was left out');
      assert.ok(runs.every((r) => r.status === 'success'));
      await assert.rejects(saveFlow(hub.ctx, actor, `name: bad-when
trigger: { type: webhook }
actions:
  - name: x
    type: service
    service: Target
    operation: echo
    when: "kind = ("
    mapping: { value: { const: x } }
`), (error: { errors: { path: string }[] }) => error.errors.some((e) => e.path === 'actions[0].when'));
    });

    it('converts a mapped value to the type the operation declares (text "12" goes as 12); one that cannot be fails its event naming the field', async () => {
      await saveFlow(hub.ctx, actor, `name: typed
trigger: { type: webhook, idPath: ref }
retry: { attempts: 1 }
actions:
  - name: send
    type: service
    service: Target
    operation: fast
    mapping: { n: { path: n } }
`);
      await deliver('typed', { ref: 't-1', n: '12' });
      await deliver('typed', { ref: 't-2', n: 'twelve' });
      const runs = await until('both runs', async () => {
        const list = (await listRuns(hub.ctx, 'typed')).runs;
        return list.length === 2 && list;
      }, 5000);
      const good = runs.find((r) => r.record === 't-1')!;
      assert.deepEqual((good.steps[0] as { input: { body: unknown } }).input.body, { n: 12 });
      const bad = runs.find((r) => r.record === 't-2')!;
      assert.equal(bad.status, 'dead');
      assert.match(String(bad.error), /n: "twelve" is not a number/);
    });

    it('follows a feed whose cursor is a number and whose "more" flag has another name; a cursor of another kind is a visible poll error', async () => {
      await saveFlow(hub.ctx, actor, `name: numeric-feed
trigger: { type: feed, service: Target, operation: numfeed, itemsPath: data, nextCursorPath: next, hasMorePath: meta.more, interval: 100ms }
actions:
  - name: call
    type: service
    service: Target
    operation: echo
    mapping: { value: { path: id } }
`);
      const flow = await hub.ctx.db.selectFrom('flows').select('id').where('name', '=', 'numeric-feed').executeTakeFirstOrThrow();
      await until('the three items', async () => (await hub.ctx.db.selectFrom('flow_events').select('id').where('flow_id', '=', flow.id).where('status', '=', 'done').execute()).length === 3, 5000);
      await new Promise((r) => setTimeout(r, 400));
      assert.deepEqual((await hub.ctx.db.selectFrom('flow_events').select('record_key').where('flow_id', '=', flow.id).orderBy('record_key').execute()).map((e) => e.record_key), ['a', 'b', 'c']);
      assert.equal((await hub.ctx.db.selectFrom('flow_cursors').select('cursor').where('flow_id', '=', flow.id).executeTakeFirstOrThrow()).cursor, '3');
      const firstPages = (target.arrivals.get('/numfeed') ?? []).length;
      assert.ok(firstPages >= 3, `the feed was read page by page: ${firstPages}`);
      await setFlowStatus(hub.ctx, actor, 'numeric-feed', 'paused');

      await saveFlow(hub.ctx, actor, `name: object-cursor
trigger: { type: feed, service: Target, operation: badfeed, interval: 100ms }
actions:
  - name: call
    type: service
    service: Target
    operation: echo
    mapping: { value: { const: x } }
`);
      const shown = await until('the poll error', async () => {
        const res = await hub.api(await hub.key(['flows:read']), 'GET', '/api/v1/flows/object-cursor');
        return (res.body.flow as { pollError: string | null }).pollError;
      }, 5000);
      assert.match(String(shown), /nextCursor in the feed's answer is object; a cursor must be text or a number/);
      await setFlowStatus(hub.ctx, actor, 'object-cursor', 'paused');
    });

    it('logs and counts engine errors instead of swallowing them', async () => {
      // The feed answers 500: every poll fails, visibly.
      await saveFlow(hub.ctx, actor, `name: broken-poll
trigger: { type: feed, service: Target, operation: feed, interval: 50ms }
actions:
  - name: call
    type: service
    service: Target
    operation: echo
    mapping: { value: { const: x } }
`);
      const metrics = await until('an engine error counted', async () => {
        const text = await hub.ctx.metrics.registry.metrics();
        return /handshake_hub_flow_engine_errors_total\{flow="broken-poll",stage="poll"\} [1-9]/.test(text) && text;
      }, 5000);
      assert.ok(metrics);
      assert.ok(logged.some((line) => /flow broken-poll: poll failed: HTTP 500/.test(line)), `logged: ${logged.slice(0, 3).join(' | ')}`);
      await setFlowStatus(hub.ctx, actor, 'broken-poll', 'paused');
    });
  });
}

describe('batches: one bad record is dead-lettered alone, in sObject Collections and in a service\'s batch operation', () => {
  let org: TestOrg;
  let erp: RunningErp;
  let hub: TestHub;
  let hookKey: string;
  let integration: Connection;
  const dirs: string[] = [];

  before(async () => {
    org = await startTestOrg(STORES[0]!);
    dirs.push(mkdtempSync(join(tmpdir(), 'hs-batch-erp-')));
    erp = await startErp({ dataDir: dirs[0]!, clients: [CLIENT] });
    hub = await startTestHub(STORES[1]!, { flows: { idleMs: 20 } });
    await wireDemo(hub.ctx, actor, { org: { instanceUrl: org.instanceUrl, consumerKey: org.consumerKey, consumerSecret: org.consumerSecret }, erp: { url: erp.url, tokenUrl: erp.tokenUrl, ...CLIENT } }, []);
    hookKey = await hub.key(['flows:trigger']);
    integration = new Connection({ instanceUrl: org.instanceUrl, accessToken: await tokenFor(org, 'MuleSoft_Integration'), version: '62.0' });
  });
  after(async () => {
    await hub.close();
    await erp.close();
    await org.close();
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  const deliverAll = async (flow: string, payloads: unknown[]) => {
    await Promise.all(payloads.map(async (payload) => {
      const res = await fetch(`${hub.url}/api/v1/hooks/${flow}`, { method: 'POST', headers: { authorization: `Bearer ${hookKey}`, 'content-type': 'application/json' }, body: JSON.stringify(payload) });
      assert.equal(res.status, 202);
    }));
  };
  const batchSizes = async (flow: string) => {
    const text = await hub.ctx.metrics.registry.metrics();
    const count = Number(/handshake_hub_flow_batch_size_count\{flow="FLOW"[^}]*\} (\d+)/.exec(text.replaceAll(`"${flow}"`, '"FLOW"'))?.[1] ?? 0);
    const sum = Number(/handshake_hub_flow_batch_size_sum\{flow="FLOW"[^}]*\} (\d+)/.exec(text.replaceAll(`"${flow}"`, '"FLOW"'))?.[1] ?? 0);
    return { calls: count, events: sum };
  };

  it('Salesforce upserts: 30 events in a few Collections calls; the one without a LastName fails alone', async () => {
    await saveFlow(hub.ctx, actor, `name: leads-in-batches
trigger: { type: webhook, idPath: ref }
batch: { size: 200, maxWait: 500ms }
retry: { attempts: 2, initialDelay: 50ms, maxDelay: 100ms }
actions:
  - name: upsert-lead
    type: salesforce.upsert
    connection: Salesforce
    object: Lead
    externalIdField: ERP_Contact_Id__c
    mapping:
      ERP_Contact_Id__c: { path: ref }
      LastName: { path: last }
      Company: { const: Batch Co }
`);
    const payloads = Array.from({ length: 30 }, (_, i) => ({ ref: `BATCH-${i}`, ...(i === 17 ? {} : { last: `Batch ${i}` }) }));
    await deliverAll('leads-in-batches', payloads);
    await until('29 leads', async () => (await integration.query("SELECT Id FROM Lead WHERE ERP_Contact_Id__c LIKE 'BATCH-%'")).totalSize === 29);
    const dead = await until('the bad record\'s dead letter', async () => (await deadLetters(hub.ctx, 'leads-in-batches'))[0]);
    assert.equal((dead.payload as { ref: string }).ref, 'BATCH-17');
    assert.match(String(dead.error), /REQUIRED_FIELD_MISSING/);
    assert.equal((await deadLetters(hub.ctx, 'leads-in-batches')).length, 1, 'only the bad record');
    const sizes = await batchSizes('leads-in-batches');
    assert.ok(sizes.calls <= 4 && sizes.events === 30, `30 events in ${sizes.calls} calls`);
  });

  it('ERP sales orders through createSalesOrders: a batch with one invalid order creates the rest', async () => {
    await saveFlow(hub.ctx, actor, `name: orders-in-batches
trigger: { type: webhook, idPath: ref }
batch: { size: 200, maxWait: 500ms }
actions:
  - name: create-sales-order
    type: service
    service: DemoERP
    operation: createSalesOrder
    mapping:
      customer: { path: customer }
      externalRef: { path: ref }
      orderDate: { const: "2026-12-01" }
      lines:
        each: lines
        mapping:
          product: { path: product }
          quantity: { path: quantity, type: number }
          unitPrice: { path: price, type: number }
`);
    const payloads = Array.from({ length: 20 }, (_, i) => ({ ref: `SO-BATCH-${i}`, customer: i === 5 ? '' : `Customer ${i}`, lines: [{ product: 'Widget', quantity: 1, price: 9.5 }] }));
    await deliverAll('orders-in-batches', payloads);
    const count = async () => (await erp.store.db.selectFrom('sales_orders').select('external_ref').where('external_ref', 'like', 'SO-BATCH-%').execute()).length;
    await until('19 sales orders', async () => (await count()) === 19);
    const dead = await until('the bad order\'s dead letter', async () => (await deadLetters(hub.ctx, 'orders-in-batches'))[0]);
    assert.equal((dead.payload as { ref: string }).ref, 'SO-BATCH-5');
    assert.match(String(dead.error), /customer/);
    const sizes = await batchSizes('orders-in-batches');
    assert.ok(sizes.calls <= 3 && sizes.events === 20, `20 events in ${sizes.calls} calls`);
    const runs = (await listRuns(hub.ctx, 'orders-in-batches', { limit: 50 })).runs;
    const output = runs.find((r) => r.status === 'success')!.steps[0] as { output: { externalRef: string } };
    assert.match(output.output.externalRef, /^SO-BATCH-/, 'a batched event\'s output is its own order');
  });
  it('an update writes only records of its own object: a path in the Id or another object\'s Id is refused (one event or a batch)', async () => {
    const lead = await integration.sobject('Lead').create({ LastName: 'Target Lead', Company: 'Path Co' });
    const contact = await integration.sobject('Contact').create({ LastName: 'Bystander' });
    for (const [name, extra] of [['lead-updates', ''], ['lead-updates-batched', 'batch: { size: 50, maxWait: 300ms }\n']] as const) {
      await saveFlow(hub.ctx, actor, `name: ${name}
trigger: { type: webhook, idPath: ref }
${extra}actions:
  - name: touch
    type: salesforce.update
    connection: Salesforce
    object: Lead
    mapping:
      Id: { path: id }
      LastName: { path: last }
`);
      await deliverAll(name, [
        { ref: `${name}-1`, id: `../Contact/${contact.id}`, last: 'Hijacked' },
        { ref: `${name}-2`, id: contact.id, last: 'Hijacked' },
        { ref: `${name}-3`, id: lead.id, last: `Updated by ${name}` },
      ]);
      const dead = await until('two dead letters', async () => {
        const list = await deadLetters(hub.ctx, name);
        return list.length === 2 && list;
      });
      const byRef = Object.fromEntries(dead.map((d) => [(d.payload as { ref: string }).ref, String(d.error)]));
      assert.match(byRef[`${name}-1`]!, /15 or 18 character Salesforce Id/);
      assert.match(byRef[`${name}-2`]!, /is not a Lead Id/);
      await until('the lead to be updated', async () => (await integration.sobject('Lead').retrieve(lead.id!) as { LastName: string }).LastName === `Updated by ${name}`);
    }
    assert.equal((await integration.sobject('Contact').retrieve(contact.id!) as { LastName: string }).LastName, 'Bystander', 'the contact was never written');
  });
});
