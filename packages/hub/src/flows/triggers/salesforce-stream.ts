import type { HubContext } from '../../context.js';
import { callJson } from '../calls/call-json.js';
import { salesforceClient } from '../calls/clients.js';
import { PermanentError, RetryableError } from '../calls/errors.js';

/** Salesforce holds a connect up to 110 s when nothing happens; the call may take that and some. */
const CONNECT_TIMEOUT_MS = 125_000;
const STREAMING_PATH = '/cometd/62.0';

/** One change event as CometD delivers it (the fields the hub reads). */
export interface ChangeDelivery {
  replayId: number;
  header: { entityName: string; recordIds: string[]; changeType: string; commitTimestamp: number };
}

interface BayeuxReply {
  channel: string;
  successful?: boolean;
  clientId?: string;
  error?: string;
  advice?: { reconnect?: string };
  data?: { payload?: { ChangeEventHeader?: ChangeDelivery['header'] }; event?: { replayId?: number } };
}

/** The subscription's client is gone (the org restarted, or it sat idle): start again from the stored replay id. */
export class StreamLost extends RetryableError {
  override name = 'StreamLost';
}

/**
 * A subscription to one Change Data Capture channel over the Streaming API (Bayeux long polling with
 * the replay extension), spoken over the connection's own client, so its token (refreshed on a 401),
 * outbound guard and secret redaction apply as on every other call. faye, jsforce's client, brings
 * its own HTTP stack and would bypass all three.
 *
 * `position` is where the subscription stands: the last replay id delivered, 'tip' when it was made
 * at -1 and nothing came yet, undefined when there is none.
 */
export class ChangeStream {
  position: number | 'tip' | undefined;
  #clientId: string | undefined;
  #id = 0;
  #abort = new AbortController();
  #closed = false;

  constructor(private readonly ctx: HubContext, private readonly connection: string, readonly channel: string) {}

  /**
   * A new client subscribed after `replayId` (-1: from now). Answers 'aged-out' when the org no longer
   * keeps that replay id (its retention is 72 hours).
   */
  async subscribe(replayId: number): Promise<'subscribed' | 'aged-out'> {
    await this.#disconnect();
    const [hello] = await this.#send([{ channel: '/meta/handshake', version: '1.0', minimumVersion: '1.0', supportedConnectionTypes: ['long-polling'], ext: { replay: true } }]);
    if (!hello?.successful || !hello.clientId) throw new PermanentError(`the Streaming API refused the handshake: ${hello?.error ?? 'no answer'}`);
    this.#clientId = hello.clientId;
    const replies = await this.#send([{ channel: '/meta/subscribe', clientId: this.#clientId, subscription: this.channel, ext: { replay: { [this.channel]: replayId } } }]);
    const reply = replies.find((r) => r.channel === '/meta/subscribe');
    if (!reply?.successful) {
      await this.#disconnect();
      if (/^400::The replayId \{/.test(reply?.error ?? '')) return 'aged-out';
      throw new PermanentError(`the Streaming API refused the subscription to ${this.channel}: ${reply?.error ?? 'no answer'}`);
    }
    this.position = replayId === -1 ? 'tip' : replayId;
    return 'subscribed';
  }

  /** The next change events: those waiting, or those that come within the org's long-poll time (none when it passes). */
  async next(): Promise<ChangeDelivery[]> {
    if (!this.#clientId) throw new StreamLost('not subscribed');
    const replies = await this.#send([{ channel: '/meta/connect', clientId: this.#clientId, connectionType: 'long-polling' }], CONNECT_TIMEOUT_MS);
    const connect = replies.find((r) => r.channel === '/meta/connect');
    if (connect && !connect.successful) {
      this.#clientId = undefined;
      this.position = undefined;
      throw new StreamLost(`the Streaming API ended the subscription: ${connect.error ?? 'no reason given'}`);
    }
    const out: ChangeDelivery[] = [];
    for (const r of replies) {
      const header = r.data?.payload?.ChangeEventHeader;
      const replayId = r.data?.event?.replayId;
      if (r.channel !== this.channel || !header || typeof replayId !== 'number') continue;
      out.push({ replayId, header });
      this.position = replayId;
    }
    return out;
  }

  /** Ends the subscription and any long poll in flight, for good. */
  async close(): Promise<void> {
    this.#closed = true;
    this.#abort.abort();
    const clientId = this.#clientId;
    this.#clientId = undefined;
    this.position = undefined;
    if (clientId) await this.#send([{ channel: '/meta/disconnect', clientId }], undefined, new AbortController().signal).catch(() => undefined);
  }

  async #disconnect(): Promise<void> {
    const clientId = this.#clientId;
    this.#clientId = undefined;
    this.position = undefined;
    if (clientId) await this.#send([{ channel: '/meta/disconnect', clientId }]).catch(() => undefined);
  }

  async #send(messages: Record<string, unknown>[], timeoutMs?: number, signal = this.#abort.signal): Promise<BayeuxReply[]> {
    // A closed stream sends nothing more (a subscribe under way when it closed would leave a client behind).
    if (this.#closed && messages[0]?.channel !== '/meta/disconnect') throw new RetryableError('the change stream was closed');
    const client = await salesforceClient(this.ctx, this.connection);
    const { body } = await callJson(client, STREAMING_PATH, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(messages.map((m) => ({ ...m, id: String(++this.#id) }))),
      timeoutMs,
      signal,
    });
    if (!Array.isArray(body)) throw new RetryableError(`the Streaming API answered something other than Bayeux messages: ${String(body).slice(0, 200)}`);
    return body as BayeuxReply[];
  }
}
