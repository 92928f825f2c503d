import { createHash, randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import type { DataAccess } from '../access/data-access.js';
import type { ObjectDef } from '../schema/fields.js';
import type { DataService } from '../service.js';
import type { ChangeEvent } from './capture.js';
import type { PlatformEvent } from './platform-events.js';

/** Events are kept 72 hours, as Salesforce keeps change events. */
export const RETENTION_MS = 72 * 60 * 60 * 1000;
const CLIENT_IDLE_MS = 2 * 60 * 1000;
/** Each client holds subscriptions and a long poll: one token cannot open more than this many at once. */
export const MAX_CLIENTS_PER_USER = 50;
/** A long poll's fallback re-read, for changes committed inside an outer transaction (their signal came early). */
const RECHECK_MS = 250;
const BATCH = 1000;

interface Subscription { channel: string; entities: string[] | 'all'; after: number }
export interface StreamingClient { id: string; userId: string; access: DataAccess; subscriptions: Map<string, Subscription>; seenAt: number; connected: boolean }
export interface Delivery { channel: string; data: { schema: string; payload: Record<string, unknown>; event: { replayId: number; EventUuid?: string } } }

/**
 * `/data/AccountChangeEvent` → Account; `/data/Invoice__ChangeEvent` → Invoice__c; `/data/ChangeEvents`
 * → every enabled object; `/event/Low_Ink__e` → the platform event Low_Ink__e (case-sensitive, as in Salesforce).
 */
function entitiesOf(channel: string): string | 'all' | undefined {
  if (channel === '/data/ChangeEvents') return 'all';
  const event = /^\/event\/([A-Za-z][A-Za-z0-9_]*__e)$/.exec(channel);
  if (event) return event[1];
  const m = /^\/data\/([A-Za-z][A-Za-z0-9_]*?)(__)?ChangeEvent$/.exec(channel);
  return m ? `${m[1]}${m[2] ? '__c' : ''}` : undefined;
}

/**
 * The Streaming API's Change Data Capture side, apart from Bayeux's wire format: clients, their
 * subscriptions with a replay position each, and delivery of committed change events trimmed to
 * what each subscriber may read (object access and field-level security; record sharing does not
 * apply to change events, as in Salesforce).
 */
export class StreamingHub {
  private readonly clients = new Map<string, StreamingClient>();
  stopped = false;
  private readonly wakers = new Set<() => void>();
  private readonly onChange = () => this.wakeAll();

  constructor(private readonly service: DataService) {
    service.changeSignal.on('change', this.onChange);
  }

  /** A new client, or undefined when the user already has MAX_CLIENTS_PER_USER of them. */
  handshake(userId: string, access: DataAccess): StreamingClient | undefined {
    const now = Date.now();
    for (const [id, c] of this.clients) if (!c.connected && now - c.seenAt > CLIENT_IDLE_MS) this.clients.delete(id);
    if ([...this.clients.values()].filter((c) => c.userId === userId).length >= MAX_CLIENTS_PER_USER) return undefined;
    const client: StreamingClient = { id: randomBytes(16).toString('base64url'), userId, access, subscriptions: new Map(), seenAt: now, connected: false };
    this.clients.set(client.id, client);
    return client;
  }

  /** The client a message names, if it is this user's; anyone else's is unknown, as a stale one is. */
  client(id: unknown, userId: string): StreamingClient | undefined {
    const client = typeof id === 'string' ? this.clients.get(id) : undefined;
    if (!client || client.userId !== userId) return undefined;
    client.seenAt = Date.now();
    return client;
  }

  disconnect(client: StreamingClient): void {
    this.clients.delete(client.id);
    this.wakeAll();
  }

  /** Subscribes from a replay position: -1 new events only, -2 every retained event, or after a given replay id. Returns an error text or undefined. */
  async subscribe(client: StreamingClient, channel: string, replay: number | undefined): Promise<string | undefined> {
    const target = entitiesOf(channel);
    if (target === undefined) return `400::The channel you requested to subscribe to does not exist {${channel}}`;
    let entities: string[] | 'all';
    if (target === 'all') entities = 'all';
    else {
      const object = this.service.schema.get(target);
      const offered = object?.platformEvent ? channel.startsWith('/event/') && object.name === target : object !== undefined && this.service.cdcObjects.has(object.name);
      if (!object || !offered) return `400::The channel you requested to subscribe to does not exist {${channel}}`;
      if (!client.access.rights(object).read) return `403::You do not have access to ${object.name} change events {${channel}}`;
      entities = [object.name];
    }
    const { rows } = await sql<{ lo: number | string | null; hi: number | string | null }>`SELECT MIN(${sql.ref('replay_id')}) AS lo, MAX(${sql.ref('replay_id')}) AS hi FROM ${sql.table('change_events')}`.execute(this.service.db);
    const lo = Number(rows[0]?.lo ?? 0);
    const hi = Number(rows[0]?.hi ?? 0);
    let after: number;
    if (replay === undefined || replay === -1) after = hi;
    else if (replay === -2) after = 0;
    else if (!Number.isInteger(replay) || replay < 0 || replay > hi || (lo > 0 && replay < lo - 1)) {
      return `400::The replayId {${replay}} you provided was invalid. Please provide a valid ID, -2 to replay all events, or -1 to replay only new events.`;
    } else after = replay;
    client.subscriptions.set(channel, { channel, entities, after });
    return undefined;
  }

  unsubscribe(client: StreamingClient, channel: string): boolean {
    return client.subscriptions.delete(channel);
  }

  /** A long poll: the events waiting for the client, or, when there are none, those that arrive within `timeoutMs`. */
  async connect(client: StreamingClient, timeoutMs: number): Promise<Delivery[]> {
    client.connected = true;
    try {
      const until = Date.now() + timeoutMs;
      for (;;) {
        const events = await this.pending(client);
        if (events.length || this.stopped || Date.now() >= until || !this.clients.has(client.id)) return events;
        await new Promise<void>((resolve) => {
          const done = () => {
            clearTimeout(timer);
            this.wakers.delete(done);
            resolve();
          };
          const timer = setTimeout(done, Math.min(RECHECK_MS, Math.max(0, until - Date.now())));
          this.wakers.add(done);
        });
      }
    } finally {
      client.connected = false;
      client.seenAt = Date.now();
    }
  }

  /** Ends every long poll now (the org is stopping). */
  stop(): void {
    this.stopped = true;
    this.service.changeSignal.off('change', this.onChange);
    this.wakeAll();
  }

  /** Deletes events past retention; returns how many. */
  async purge(now = this.service.now()): Promise<number> {
    const result = await this.service.orgDb.deleteFrom('change_events').where('created_at', '<', now - RETENTION_MS).executeTakeFirst();
    return Number(result.numDeletedRows);
  }

  private wakeAll(): void {
    for (const wake of [...this.wakers]) wake();
  }

  private async pending(client: StreamingClient): Promise<Delivery[]> {
    const out: Delivery[] = [];
    for (const sub of client.subscriptions.values()) {
      const readable = (sub.entities === 'all' ? [...this.service.cdcObjects] : sub.entities).map((name) => this.service.schema.get(name)).filter((o): o is ObjectDef => o !== undefined && client.access.rights(o).read);
      if (readable.length === 0) continue;
      const rows = await this.service.orgDb.selectFrom('change_events').select(['replay_id', 'entity', 'event'])
        .where('replay_id', '>', sub.after).where('entity', 'in', readable.map((o) => o.name)).orderBy('replay_id').limit(BATCH).execute();
      for (const row of rows) {
        const object = readable.find((o) => o.name === row.entity)!;
        const replayId = Number(row.replay_id);
        if (object.platformEvent) {
          const published = JSON.parse(row.event) as PlatformEvent;
          out.push({ channel: sub.channel, data: { schema: schemaId(object), payload: visibleFields(published.payload, object, client.access), event: { EventUuid: published.EventUuid, replayId } } });
        } else out.push({ channel: sub.channel, data: { schema: schemaId(object), payload: trim(JSON.parse(row.event) as ChangeEvent, object, client.access), event: { replayId } } });
        sub.after = Number(row.replay_id);
      }
    }
    return out;
  }
}

/** A platform event's fields the subscriber can read (CreatedDate and CreatedById are always there). */
function visibleFields(payload: Record<string, unknown>, object: ObjectDef, access: DataAccess): Record<string, unknown> {
  return Object.fromEntries(Object.entries(payload).filter(([name]) => {
    const f = object.fields.find((x) => x.name === name);
    return f !== undefined && (!f.custom || access.canRead(object, f));
  }));
}

/** Field-level security on the event body: fields the subscriber cannot read are left out, from the header's lists too. */
function trim(event: ChangeEvent, object: ObjectDef, access: DataAccess): Record<string, unknown> {
  const visible = (name: string) => {
    const f = object.fields.find((x) => x.name === name);
    return f !== undefined && access.canRead(object, f);
  };
  const header = event.ChangeEventHeader;
  const out: Record<string, unknown> = { ChangeEventHeader: { ...header, changedFields: header.changedFields.filter(visible), nulledFields: header.nulledFields.filter(visible) } };
  for (const [name, value] of Object.entries(event)) if (name !== 'ChangeEventHeader' && visible(name)) out[name] = value;
  return out;
}

/** A stable schema id per object shape, as Salesforce gives one per event schema version. */
const schemaId = (object: ObjectDef) => createHash('sha256').update(object.fields.map((f) => `${f.name}:${f.type}`).join(',')).digest('base64url').slice(0, 22);
