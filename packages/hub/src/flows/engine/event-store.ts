import { sql, type Kysely } from 'kysely';
import type { FlowEventTable, FlowRunTable, HubDatabase } from '../../store/schema.js';
import { ROWS_PER_STATEMENT } from './event-queue.js';
import type { WorkQueue } from './work-queue.js';

/** What running an event decided: the event's new state and its run record. */
export interface Outcome {
  eventId: string;
  event: Pick<FlowEventTable, 'status' | 'attempts' | 'next_attempt_at' | 'last_error' | 'updated_at'>;
  run: FlowRunTable;
}

/**
 * A flow's due events, oldest first, at most one per record: an event waits while an older event of
 * the same record is pending (queued, retrying or claimed), so a record's versions apply in order
 * whatever the concurrency. Claimed events are not due (their next_attempt_at is the claim's expiry).
 */
export function dueEvents(db: Kysely<HubDatabase>, flowId: string, now: number, limit: number): Promise<FlowEventTable[]> {
  return db.selectFrom('flow_events as e').selectAll('e')
    // `+` keeps SQLite from reading this through the (status, next_attempt_at) index and sorting
    // every due event: the (flow_id, status, id) index gives them in order, so LIMIT stops early.
    .where('e.flow_id', '=', flowId).where('e.status', '=', 'pending').where(sql<number>`+${sql.ref('e.next_attempt_at')}`, '<=', now)
    .where((eb) => eb.or([
      eb('e.record_key', 'is', null),
      eb.not(eb.exists(eb.selectFrom('flow_events as p').select(sql<number>`1`.as('one'))
        .whereRef('p.flow_id', '=', 'e.flow_id').whereRef('p.record_key', '=', 'e.record_key').where('p.status', '=', 'pending').whereRef('p.id', '<', 'e.id'))),
    ]))
    .orderBy('e.id').limit(limit).execute();
}

/** When the flow's next pending event falls due (a retry's time, a claim's expiry); undefined when none waits. */
export async function nextDueAt(db: Kysely<HubDatabase>, flowId: string): Promise<number | undefined> {
  const row = await db.selectFrom('flow_events').select((eb) => eb.fn.min<number>('next_attempt_at').as('at'))
    .where('flow_id', '=', flowId).where('status', '=', 'pending').executeTakeFirst();
  return row?.at === null || row?.at === undefined ? undefined : Number(row.at);
}

/**
 * Claims events for one worker until `until`: only those still due, so two workers (processes,
 * later) never claim the same event. Returns the ids this claim got.
 */
export async function claimEvents(db: Kysely<HubDatabase>, ids: string[], claim: string, now: number, until: number): Promise<Set<string>> {
  const got = new Set<string>();
  for (let i = 0; i < ids.length; i += ROWS_PER_STATEMENT) {
    const rows = await db.updateTable('flow_events').set({ claim, next_attempt_at: until })
      .where('id', 'in', ids.slice(i, i + ROWS_PER_STATEMENT)).where('status', '=', 'pending').where('next_attempt_at', '<=', now)
      .returning('id').execute();
    for (const row of rows) got.add(row.id);
  }
  return got;
}

/**
 * Makes every claimed event due again: at start-up, a single hub process owns every claim, and the
 * claims it finds are what it was running when it stopped (a crash re-runs exactly those).
 */
export async function releaseClaims(db: Kysely<HubDatabase>, now: number): Promise<number> {
  const result = await db.updateTable('flow_events').set({ claim: null, next_attempt_at: now }).where('status', '=', 'pending').where('claim', 'is not', null).executeTakeFirst();
  return Number(result.numUpdatedRows);
}

/** Gives up claimed events that are still pending, due again at `at`. */
export async function releaseEvents(db: Kysely<HubDatabase>, ids: string[], at: number): Promise<void> {
  for (let i = 0; i < ids.length; i += ROWS_PER_STATEMENT) {
    await db.updateTable('flow_events').set({ claim: null, next_attempt_at: at }).where('id', 'in', ids.slice(i, i + ROWS_PER_STATEMENT)).where('status', '=', 'pending').execute();
  }
}

/** Pending events per flow, and the age of the oldest (the lag), for backpressure and metrics. */
export async function backlogByFlow(db: Kysely<HubDatabase>): Promise<Map<string, { pending: number; oldest: number }>> {
  const rows = await db.selectFrom('flow_events').select(['flow_id', (eb) => eb.fn.countAll<number>().as('n'), (eb) => eb.fn.min('created_at').as('oldest')])
    .where('status', '=', 'pending').groupBy('flow_id').execute();
  return new Map(rows.map((r) => [r.flow_id, { pending: Number(r.n), oldest: Number(r.oldest) }]));
}

/** Which of these dedupe keys the flow has already queued (a poll re-reading a window skips them). */
export async function knownDedupeKeys(db: Kysely<HubDatabase>, flowId: string, keys: string[]): Promise<Set<string>> {
  const known = new Set<string>();
  for (let i = 0; i < keys.length; i += 500) {
    const rows = await db.selectFrom('flow_events').select('dedupe_key').where('flow_id', '=', flowId).where('dedupe_key', 'in', keys.slice(i, i + 500)).execute();
    for (const row of rows) known.add(row.dedupe_key);
  }
  return known;
}

export async function backlogOf(db: Kysely<HubDatabase>, flowId: string): Promise<number> {
  const row = await db.selectFrom('flow_events').select((eb) => eb.fn.countAll<number>().as('n')).where('flow_id', '=', flowId).where('status', '=', 'pending').executeTakeFirstOrThrow();
  return Number(row.n);
}

/**
 * Group commit of outcomes: every worker's finished events that arrive while a commit runs go in
 * the next one, so the store does one transaction per wave, not one per event. A caller's promise
 * settles when its outcomes are durable; until then its events stay claimed, and a crash re-runs them.
 */
export class OutcomeWriter {
  #queue: { outcomes: Outcome[]; resolve: () => void; reject: (error: unknown) => void }[] = [];
  #queued = 0;
  #writing = false;
  #timer: NodeJS.Timeout | undefined;

  /**
   * `lingerMs`: how long the first outcome of a wave waits for others (a wave also starts when
   * `waveSize` outcomes wait). A few milliseconds turn one transaction per event into one per wave.
   */
  constructor(private readonly db: Kysely<HubDatabase>, private readonly work: WorkQueue, private readonly now: () => number, private readonly lingerMs = 10, private readonly waveSize = 400) {}

  commit(outcomes: Outcome[]): Promise<void> {
    if (!outcomes.length) return Promise.resolve();
    return new Promise((resolve, reject) => {
      this.#queue.push({ outcomes, resolve, reject });
      this.#queued += outcomes.length;
      if (this.#writing) return;
      if (this.#queued >= this.waveSize) {
        clearTimeout(this.#timer);
        this.#timer = undefined;
        void this.#drain();
      } else this.#timer ??= setTimeout(() => {
        this.#timer = undefined;
        void this.#drain();
      }, this.lingerMs);
    });
  }

  async #drain(): Promise<void> {
    if (this.#writing) return;
    this.#writing = true;
    while (this.#queue.length) {
      const wave = this.#queue.splice(0);
      this.#queued = 0;
      try {
        await this.#write(wave.flatMap((w) => w.outcomes));
        for (const w of wave) w.resolve();
      } catch (error) {
        for (const w of wave) w.reject(error);
      }
    }
    this.#writing = false;
  }

  async #write(outcomes: Outcome[]): Promise<void> {
    const now = this.now();
    await this.db.transaction().execute(async (trx) => {
      // Done events differ only in their attempt count: one UPDATE per count, not one per event.
      const done = new Map<number, string[]>();
      for (const o of outcomes) {
        if (o.event.status !== 'done') {
          await trx.updateTable('flow_events').set({ ...o.event, claim: null }).where('id', '=', o.eventId).execute();
          continue;
        }
        let ids = done.get(o.event.attempts);
        if (!ids) done.set(o.event.attempts, (ids = []));
        ids.push(o.eventId);
      }
      for (const [attempts, ids] of done) {
        for (let i = 0; i < ids.length; i += ROWS_PER_STATEMENT) {
          await trx.updateTable('flow_events').set({ status: 'done', claim: null, attempts, next_attempt_at: now, last_error: null, updated_at: now }).where('id', 'in', ids.slice(i, i + ROWS_PER_STATEMENT)).execute();
        }
      }
      for (let i = 0; i < outcomes.length; i += ROWS_PER_STATEMENT) {
        await trx.insertInto('flow_runs').values(outcomes.slice(i, i + ROWS_PER_STATEMENT).map((o) => o.run)).execute();
      }
      await this.work.settle(trx, outcomes);
    });
  }
}
