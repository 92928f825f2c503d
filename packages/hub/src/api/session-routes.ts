import type { FastifyInstance, FastifyReply } from 'fastify';
import { z } from 'zod';
import { audit } from '../audit/audit-log.js';
import type { HubContext } from '../context.js';
import { parse } from '../credentials/common.js';
import { createSession, csrfTokenOf, endSession, findSession, pruneSessions, SESSION_COOKIE, SESSION_IDLE_MS } from '../people/sessions.js';
import { SignInLimit } from '../people/sign-in-limit.js';
import { addSignedInUser, checkPassword, countUsers, createFirstAdmin, createUser, createUserInput, findUser, listUsers, userView } from '../people/users.js';
import { finishSignIn, SIGN_IN_CALLBACK_PATH, SIGN_IN_COOKIE, startSignIn } from '../people/sign-in-provider.js';
import { Problem } from '../problem.js';
import { actorOf, sessionPrincipal, type Guard } from './authenticate.js';

export const signInInput = z.object({ username: z.string().min(1).max(100), password: z.string().min(1).max(200) }).strict();

/** `/api/v1/session` (sign in, who am I, sign out) and `/api/v1/users`: people and their console sessions. */
export function sessionRoutes(app: FastifyInstance, ctx: HubContext, guard: Guard): void {
  const limit = new SignInLimit();
  const secure = () => ctx.publicUrl().startsWith('https:');
  const cookie = { httpOnly: true, sameSite: 'strict' as const, path: '/' };
  /** A new session for the user, its cookie set on the answer; the CSRF token for the console. */
  const startSession = async (reply: FastifyReply, userId: string, now: number) => {
    const session = await createSession(ctx.db, userId, now);
    reply.setCookie(SESSION_COOKIE, session.token, { ...cookie, secure: secure(), maxAge: SESSION_IDLE_MS / 1000 });
    return session.csrfToken;
  };

  app.post('/api/v1/session', async (request, reply) => {
    const input = parse(signInInput, request.body);
    const now = ctx.now();
    const keys = [`user:${input.username.toLowerCase()}`, `address:${request.ip}`];
    if (limit.blocked(keys, now)) throw new Problem(429, 'Too many attempts', 'Too many failed sign-ins for this username or address; try again in 15 minutes.');
    const user = await checkPassword(ctx.db, input.username, input.password);
    if (!user) {
      limit.failed(keys, now);
      await audit(ctx.db, now, { actor: input.username.slice(0, 100), action: 'session.sign_in', targetType: 'user', outcome: 'failure', detail: `from ${request.ip}` });
      throw new Problem(401, 'Sign-in failed', 'Wrong username or password.');
    }
    limit.succeeded(keys);
    await pruneSessions(ctx.db, now);
    const csrfToken = await startSession(reply, user.id, now);
    await audit(ctx.db, now, { actor: user.username, action: 'session.sign_in', targetType: 'user', targetId: user.id, outcome: 'success', detail: `from ${request.ip}` });
    return reply.code(201).send({ user: userView(user), csrfToken });
  });

  app.get('/api/v1/session', async (request) => {
    const token = request.cookies[SESSION_COOKIE];
    const user = token ? await findSession(ctx.db, token, ctx.now()) : undefined;
    if (!token || !user) throw new Problem(401, 'Not signed in', 'Sign in with POST /api/v1/session {"username", "password"}.');
    return { user: userView(user), csrfToken: csrfTokenOf(token) };
  });

  app.delete('/api/v1/session', async (request, reply) => {
    const principal = await sessionPrincipal(ctx, request);
    if (principal) {
      await endSession(ctx.db, request.cookies[SESSION_COOKIE]!);
      await audit(ctx.db, ctx.now(), { actor: principal.name, action: 'session.sign_out', targetType: 'user', targetId: principal.id, outcome: 'success' });
    }
    return reply.code(204).clearCookie(SESSION_COOKIE, cookie).send();
  });

  app.get('/api/v1/session/providers', async () => ({ providers: ctx.signInProvider ? [{ name: ctx.signInProvider.name, startUrl: '/api/v1/session/sso' }] : [] }));
  const provider = () => {
    if (!ctx.signInProvider) throw new Problem(404, 'No sign-in provider', 'This hub has no OAuth 2.0 sign-in provider configured; sign in with a username and password.');
    return ctx.signInProvider;
  };
  app.get('/api/v1/session/sso', async (_request, reply) => {
    const started = await startSignIn(ctx, provider());
    // Lax: the provider sends the browser back with a top-level GET from its own site.
    return reply.setCookie(SIGN_IN_COOKIE, started.cookie, { httpOnly: true, sameSite: 'lax', path: '/api/v1/session/sso', secure: secure(), maxAge: 600 }).redirect(started.url);
  });
  app.get(SIGN_IN_CALLBACK_PATH, async (request, reply) => {
    const params = new URLSearchParams(request.url.split('?')[1] ?? '');
    reply.clearCookie(SIGN_IN_COOKIE, { path: '/api/v1/session/sso' });
    const now = ctx.now();
    let user;
    try {
      const p = provider();
      user = await finishSignIn(ctx, p, params, request.cookies[SIGN_IN_COOKIE], (username, displayName, role) => addSignedInUser(ctx.db, username, displayName, role, now, p.name), (username) => findUser(ctx.db, username));
    } catch (error) {
      if (!(error instanceof Problem)) throw error;
      await audit(ctx.db, now, { actor: 'sign-in provider', action: 'session.sign_in', targetType: 'user', outcome: 'failure', detail: error.detail.slice(0, 300) });
      return reply.redirect(`/?sign_in_error=${encodeURIComponent(error.detail)}#/`);
    }
    await startSession(reply, user.id, now);
    await audit(ctx.db, now, { actor: user.username, action: 'session.sign_in', targetType: 'user', targetId: user.id, outcome: 'success', detail: `through ${ctx.signInProvider!.name}` });
    return reply.redirect('/#/connections');
  });

  // The one-time setup page: while the hub has no user at all, the first person to come creates its admin.
  app.get('/api/v1/setup', async () => ({ needed: (await countUsers(ctx.db)) === 0 }));
  app.post('/api/v1/setup', async (request, reply) => {
    const input = parse(createUserInput.omit({ role: true, manageConnections: true }), request.body);
    const now = ctx.now();
    const user = await createFirstAdmin(ctx.db, input, now);
    if (!user) throw new Problem(409, 'Already set up', 'This hub has users; sign in, or ask an admin to add you.');
    const csrfToken = await startSession(reply, user.id, now);
    return reply.code(201).send({ user, csrfToken });
  });

  app.get('/api/v1/users', { preHandler: guard('users:manage') }, async () => ({ users: await listUsers(ctx.db) }));
  app.post('/api/v1/users', { preHandler: guard('users:manage') }, async (request, reply) => reply.code(201).send({ user: await createUser(ctx.db, actorOf(request), request.body, ctx.now()) }));
}
