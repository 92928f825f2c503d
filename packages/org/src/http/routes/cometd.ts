import type { FastifyInstance } from 'fastify';
import type { DataAccess } from '../../data/access/data-access.js';
import { MAX_CLIENTS_PER_USER, type StreamingClient, type StreamingHub } from '../../data/cdc/streaming.js';
import type { DataService } from '../../data/service.js';
import type { OAuthContext } from '../../oauth/context.js';
import { ApiError } from '../api-error.js';
import { requireApiSession } from '../bearer-auth.js';
import { parseApiVersion } from './versions.js';

/** How long a connect waits for events (Salesforce's advice is 110 s). */
const CONNECT_TIMEOUT_MS = 110_000;
interface Message { id?: unknown; channel?: unknown; clientId?: unknown; subscription?: unknown; ext?: { replay?: Record<string, unknown> } }

/**
 * The Streaming API at `/cometd/XX.X`: Bayeux 1.0 over long polling (handshake, connect, subscribe,
 * unsubscribe, disconnect) with the replay extension, for Change Data Capture channels. What a
 * message does is StreamingHub's; this file speaks the wire format.
 */
export function cometdRoutes(app: FastifyInstance, ctx: OAuthContext, service: DataService, hub: StreamingHub): void {
  app.post<{ Params: { version: string } }>('/cometd/:version', async (request) => {
    if (parseApiVersion(`v${request.params.version}`) === undefined) throw new ApiError(404, 'NOT_FOUND', `Unknown API version ${request.params.version}`);
    const session = await requireApiSession(ctx, request);
    const messages = Array.isArray(request.body) ? request.body : [request.body];
    if (messages.length === 0 || messages.length > 100 || messages.some((m) => !m || typeof m !== 'object' || typeof (m as Message).channel !== 'string')) {
      throw new ApiError(400, 'INVALID_REQUEST', 'The body must be a Bayeux message or a list of them, each with a channel');
    }
    const access = await service.accessFor(session.user);
    const replies: unknown[] = [];
    for (const message of messages as Message[]) replies.push(...(await answer(message, session.user.id, access)));
    return replies;
  });

  async function answer(m: Message, userId: string, access: DataAccess): Promise<unknown[]> {
    const base = { ...(m.id !== undefined ? { id: m.id } : {}), channel: m.channel };
    const advice = { reconnect: 'retry', interval: 0, timeout: CONNECT_TIMEOUT_MS };
    // A stopping org tells clients not to come back, so their reconnects do not hold its shutdown open.
    if (hub.stopped) return [{ ...base, successful: false, error: '503::The org is stopping', advice: { reconnect: 'none', interval: 0 } }];
    if (m.channel === '/meta/handshake') {
      const client = hub.handshake(userId, access);
      if (!client) return [{ ...base, successful: false, error: `403::This user has ${MAX_CLIENTS_PER_USER} streaming clients already; disconnect one first`, advice: { reconnect: 'none', interval: 0 } }];
      return [{ ...base, version: '1.0', minimumVersion: '1.0', supportedConnectionTypes: ['long-polling'], clientId: client.id, successful: true, advice, ext: { replay: true, 'payload.format': true } }];
    }
    const client = hub.client(m.clientId, userId);
    if (!client) return [{ ...base, ...(typeof m.clientId === 'string' ? { clientId: m.clientId } : {}), successful: false, error: '403::Unknown client', advice: { reconnect: 'handshake', interval: 0 } }];
    // Permissions changed since the handshake apply from the next message on.
    client.access = access;
    const ok = (extra: Record<string, unknown> = {}) => ({ ...base, clientId: client.id, successful: true, ...extra });
    switch (m.channel) {
      case '/meta/connect': {
        const events = await hub.connect(client, firstConnect(client) ? 0 : CONNECT_TIMEOUT_MS);
        return [...events, ok({ advice })];
      }
      case '/meta/subscribe': {
        if (typeof m.subscription !== 'string') return [{ ...base, clientId: client.id, successful: false, error: '400::subscription: the channel to subscribe to is required' }];
        const raw = m.ext?.replay?.[m.subscription];
        const replay = raw === undefined || raw === null ? undefined : Number(raw);
        const error = await hub.subscribe(client, m.subscription, replay);
        return [error ? { ...base, clientId: client.id, subscription: m.subscription, successful: false, error } : ok({ subscription: m.subscription })];
      }
      case '/meta/unsubscribe':
        hub.unsubscribe(client, String(m.subscription));
        return [ok({ subscription: m.subscription })];
      case '/meta/disconnect':
        hub.disconnect(client);
        return [ok()];
      default:
        return [{ ...base, clientId: client.id, successful: false, error: `400::Publishing to ${String(m.channel)} is not supported here` }];
    }
  }

  // Bayeux answers the first connect after a handshake at once, so the client learns the advice.
  const answered = new WeakSet<StreamingClient>();
  function firstConnect(client: StreamingClient): boolean {
    if (answered.has(client)) return false;
    answered.add(client);
    return true;
  }
}
