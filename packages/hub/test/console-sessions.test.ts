import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import { STORES, startTestHub, type TestHub } from './helpers.js';

/** A browser's view of the hub: keeps the session cookie, sends the CSRF token only when told to. */
class Browser {
  cookie = '';
  constructor(private readonly base: string) {}
  async call(method: string, path: string, options: { body?: unknown; csrf?: string; origin?: string } = {}) {
    const res = await fetch(`${this.base}${path}`, {
      method,
      headers: { ...(this.cookie ? { cookie: this.cookie } : {}), ...(options.body !== undefined ? { 'content-type': 'application/json' } : {}), ...(options.csrf ? { 'x-csrf-token': options.csrf } : {}) },
      ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}),
    });
    const set = res.headers.get('set-cookie');
    if (set) this.cookie = /hs_session=([^;]*)/.exec(set)?.[1] ? `hs_session=${/hs_session=([^;]*)/.exec(set)![1]}` : '';
    const text = await res.text();
    return { status: res.status, setCookie: set, body: (text ? JSON.parse(text) : {}) as Record<string, unknown> };
  }
}

for (const store of STORES) {
  describe(`console people and sessions on ${store.name}: passwords, cookies, CSRF, roles`, () => {
    let hub: TestHub;
    let admin: string;
    const password = 'correct horse battery staple';
    before(async () => {
      hub = await startTestHub(store, { flows: false, consoleDir: false });
      admin = await hub.key(['users:manage', 'audit:read', 'connections:read']);
      for (const [username, role, manageConnections] of [['ada', 'admin', false], ['bob', 'builder', false], ['cy', 'builder', true], ['vi', 'viewer', false]] as const) {
        const res = await hub.api(admin, 'POST', '/api/v1/users', { username, password, role, manageConnections });
        assert.equal(res.status, 201, res.text);
      }
    });
    after(() => hub.close());

    it('stores only an scrypt hash of each password, and refuses a short one, a taken name and an unknown role with 400/409 naming the field', async () => {
      const rows = await sql<{ password_hash: string }>`SELECT password_hash FROM users`.execute(hub.ctx.db);
      assert.equal(rows.rows.length, 4);
      for (const row of rows.rows) {
        assert.match(row.password_hash, /^scrypt\$131072\$8\$1\$[\w-]{22}\$[\w-]{43}$/);
        assert.ok(!row.password_hash.includes(password));
      }
      assert.equal(new Set(rows.rows.map((r) => r.password_hash)).size, 4, 'each hash has its own salt');
      const short = await hub.api(admin, 'POST', '/api/v1/users', { username: 'x1x', password: 'short', role: 'viewer' });
      assert.equal(short.status, 400);
      assert.match(short.text, /"path":"password"/);
      assert.equal((await hub.api(admin, 'POST', '/api/v1/users', { username: 'ada', password, role: 'viewer' })).status, 409);
      const role = await hub.api(admin, 'POST', '/api/v1/users', { username: 'x2x', password, role: 'owner' });
      assert.equal(role.status, 400);
      assert.match(role.text, /"path":"role"/);
      const users = (await hub.api(admin, 'GET', '/api/v1/users')).text;
      assert.ok(!users.includes('scrypt') && !users.includes(password), 'the users list shows no hash');
    });

    it('signs in with a cookie that is httpOnly, SameSite=Strict and path /; a wrong password or unknown user gets the same 401', async () => {
      const b = new Browser(hub.url);
      const wrong = await b.call('POST', '/api/v1/session', { body: { username: 'ada', password: 'not it at all' } });
      const unknown = await b.call('POST', '/api/v1/session', { body: { username: 'nobody', password } });
      assert.equal(wrong.status, 401);
      assert.deepEqual(wrong.body, unknown.body, 'no hint whether the user exists');
      const ok = await b.call('POST', '/api/v1/session', { body: { username: 'ada', password } });
      assert.equal(ok.status, 201);
      assert.match(ok.setCookie!, /hs_session=[\w-]{43}; Max-Age=43200; Path=\/; HttpOnly; SameSite=Strict/);
      assert.equal((ok.body.user as { username: string }).username, 'ada');
      const me = await b.call('GET', '/api/v1/session');
      assert.equal(me.body.csrfToken, ok.body.csrfToken);
      const stored = await sql<{ id_hash: string }>`SELECT id_hash FROM sessions`.execute(hub.ctx.db);
      assert.ok(stored.rows.every((r) => !b.cookie.includes(r.id_hash)), 'the session token is stored only hashed');
    });

    it('needs the CSRF token on every change made with the cookie (none, or another session\'s, is a 403), never on reads', async () => {
      const b = new Browser(hub.url);
      const { body } = await b.call('POST', '/api/v1/session', { body: { username: 'cy', password } });
      const other = new Browser(hub.url);
      const otherToken = (await other.call('POST', '/api/v1/session', { body: { username: 'bob', password } })).body.csrfToken as string;
      assert.equal((await b.call('GET', '/api/v1/connections')).status, 200);
      const create = { name: 'Refused', app: 'http', method: 'bearer', credentials: { baseUrl: 'http://127.0.0.1:9', token: 't' } };
      for (const csrf of [undefined, otherToken, `${body.csrfToken as string}x`]) {
        const res = await b.call('POST', '/api/v1/connections', { body: create, ...(csrf ? { csrf } : {}) });
        assert.equal(res.status, 403, `csrf ${String(csrf)}`);
        assert.equal(res.body.title, 'CSRF check failed');
      }
      const withToken = await b.call('POST', '/api/v1/connections', { body: create, csrf: body.csrfToken as string });
      assert.equal(withToken.status, 422, 'past the CSRF check, the connection test ran (and failed: nothing listens)');
      assert.equal((await b.call('DELETE', '/api/v1/session')).status, 403, 'signing out needs the token too');
    });

    it('allows what each role allows: a viewer reads only; a builder needs Manage Integration Connections to change connections; audit names the person', async () => {
      const signIn = async (username: string) => {
        const b = new Browser(hub.url);
        const csrf = (await b.call('POST', '/api/v1/session', { body: { username, password } })).body.csrfToken as string;
        return { b, csrf };
      };
      const viewer = await signIn('vi');
      assert.equal((await viewer.b.call('GET', '/api/v1/flows')).status, 200);
      const refused = await viewer.b.call('PUT', '/api/v1/flows', { body: {}, csrf: viewer.csrf });
      assert.equal(refused.status, 403);
      assert.match(String(refused.body.detail), /Your role does not allow this \(it needs flows:write\)/);
      assert.equal((await viewer.b.call('GET', '/api/v1/users')).status, 403);
      const builder = await signIn('bob');
      const connection = { name: 'Builder made', app: 'http', method: 'bearer', credentials: { baseUrl: 'http://127.0.0.1:9', token: 't' } };
      assert.equal((await builder.b.call('POST', '/api/v1/connections', { body: connection, csrf: builder.csrf })).status, 403, 'no Manage Integration Connections');
      const manager = await signIn('cy');
      assert.equal((await manager.b.call('POST', '/api/v1/connections', { body: connection, csrf: manager.csrf })).status, 422, 'allowed (the test then fails)');
      const entries = (await hub.api(admin, 'GET', '/api/v1/audit?limit=50')).body.entries as { actor: string; action: string; outcome: string }[];
      assert.ok(entries.some((e) => e.actor === 'cy' && e.action === 'connection.create'), 'the audit log names the person');
      assert.ok(entries.some((e) => e.actor === 'vi' && e.action === 'session.sign_in' && e.outcome === 'success'));
    });

    it('signs out for good: the old cookie is refused afterwards', async () => {
      const b = new Browser(hub.url);
      const csrf = (await b.call('POST', '/api/v1/session', { body: { username: 'ada', password } })).body.csrfToken as string;
      const cookie = b.cookie;
      assert.equal((await b.call('DELETE', '/api/v1/session', { csrf })).status, 204);
      const replay = new Browser(hub.url);
      replay.cookie = cookie;
      assert.equal((await replay.call('GET', '/api/v1/connections')).status, 401);
      assert.equal((await replay.call('GET', '/api/v1/session')).status, 401);
    });

    it('an API key in the Authorization header is used as sent, even beside a session cookie (a bad key is a 401, not the cookie\'s user)', async () => {
      const b = new Browser(hub.url);
      await b.call('POST', '/api/v1/session', { body: { username: 'ada', password } });
      const res = await fetch(`${hub.url}/api/v1/connections`, { headers: { cookie: b.cookie, authorization: 'Bearer hsk_nope_nope' } });
      assert.equal(res.status, 401);
    });

    it('slows password guessing: after 10 failures the username is refused with 429, even with the right password', async () => {
      const b = new Browser(hub.url);
      for (let i = 0; i < 10; i++) assert.equal((await b.call('POST', '/api/v1/session', { body: { username: 'vi', password: `guess ${i} guess guess` } })).status, 401);
      const blocked = await b.call('POST', '/api/v1/session', { body: { username: 'vi', password } });
      assert.equal(blocked.status, 429);
      assert.match(String(blocked.body.detail), /try again in 15 minutes/);
    });
  });
}

for (const store of STORES) {
  describe(`the one-time setup page on ${store.name}`, () => {
    let hub: TestHub;
    before(async () => {
      hub = await startTestHub(store, { flows: false, consoleDir: false });
    });
    after(() => hub.close());

    it('creates exactly one first admin when five people race for it, signed in; then it is closed', async () => {
      assert.deepEqual((await (await fetch(`${hub.url}/api/v1/setup`)).json()), { needed: true });
      const bad = await fetch(`${hub.url}/api/v1/setup`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'x', password: 'short' }) });
      assert.equal(bad.status, 400);
      const answers = await Promise.all(Array.from({ length: 5 }, (_, i) => fetch(`${hub.url}/api/v1/setup`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: `first${i}`, password: 'a long first password' }) })));
      assert.deepEqual(answers.map((a) => a.status).sort(), [201, 409, 409, 409, 409]);
      const winner = answers.find((a) => a.status === 201)!;
      assert.match(winner.headers.get('set-cookie')!, /hs_session=.*HttpOnly; SameSite=Strict/);
      assert.equal(((await winner.json()) as { user: { role: string } }).user.role, 'admin');
      const rows = await sql<{ role: string }>`SELECT role FROM users`.execute(hub.ctx.db);
      assert.deepEqual(rows.rows.map((r) => r.role), ['admin']);
      assert.deepEqual((await (await fetch(`${hub.url}/api/v1/setup`)).json()), { needed: false });
    });
  });
}
