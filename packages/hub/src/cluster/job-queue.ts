import PgBoss from 'pg-boss';
import { CompiledQuery, sql, type Kysely } from 'kysely';
import type { FlowEventTable, HubDatabase } from '../store/schema.js';
import type { Outcome } from '../flows/engine/event-store.js';
import type { PendingEvent, WorkQueue } from '../flows/engine/work-queue.js';
import { answers, type Reachability } from '../store/reachable.js';
import type { ClusterLocks } from './locks.js';

/** pg-boss's shortest polling interval: how long an idle flow's worker waits before it asks again. */
const IDLE_FETCH_MS = 500;
/** How soon an event fetched while an older event of its record is still pending is offered again. */
const BLOCKED_RETRY_MS = 250;
/** Rows per lookup by id. */
const IDS_PER_QUERY = 500;
/** PostgreSQL's deadlock_detected, and how often creating a queue is tried when it meets one. */
const DEADLOCK = '40P01';
const QUEUE_CREATE_ATTEMPTS = 5;

export interface JobQueueSettings {
  /**
   * How long a process holds an event it fetched: a process that dies mid-run loses it to another
   * after this (plus pg-boss's maintenance interval). Longer than the slowest unit of work.
   */
  leaseSeconds: number;
}

/** One pg-boss queue per flow, so each flow's worker fetches its own events (its concurrency and batches). */
export const flowQueue = (flowId: string) => `flow-${flowId}`;

/** pg-boss on the store's PostgreSQL connection for our transactions: a job commits with the rows it is for. */
function inTransaction(trx: Kysely<HubDatabase>): PgBoss.Db {
  return { executeSql: async (text: string, values: unknown[]) => ({ rows: (await trx.executeQuery(CompiledQuery.raw(text, values))).rows }) };
}

/** pg-boss's complete(name, ids, data, options): its typings leave out `data` for a list of ids, which moves `options` to where it is ignored. */
function completeJobs(boss: PgBoss, queue: string, ids: string[], db?: PgBoss.Db): Promise<unknown> {
  return (boss.complete as unknown as (name: string, ids: string[], data: null, options: PgBoss.ConnectionOptions) => Promise<unknown>)(queue, ids, null, db ? { db } : {});
}

/**
 * Cluster mode: each pending event has a pg-boss job, inserted in the transaction that made the event
 * pending (a trigger's cursor commit, a webhook, a replay), and completed in the transaction that
 * records its outcome. Whichever process fetches the job runs the event; pg-boss's expiry hands the
 * job of a process that died to another. flow_events stays the record: a job whose event is already
 * done is completed unrun, and an event whose record has an older pending event waits for it.
 */
export class JobQueue implements WorkQueue {
  readonly clustered = true;
  /** The job of each event this process fetched and has not settled. */
  readonly #jobs = new Map<string, { queue: string; id: string }>();
  readonly #queues = new Set<string>();

  private constructor(private readonly db: Kysely<HubDatabase>, private readonly boss: PgBoss, private readonly bossSchema: string, private readonly locks: ClusterLocks, private readonly settings: JobQueueSettings) {}

  static async open(db: Kysely<HubDatabase>, connectionString: string, bossSchema: string, locks: ClusterLocks, settings: JobQueueSettings, onError: (error: Error) => void): Promise<JobQueue> {
    const boss = new PgBoss({
      connectionString, schema: bossSchema, max: 4, schedule: false,
      // Expired jobs (a dead process's) are found this often; at most every second, as pg-boss allows.
      maintenanceIntervalSeconds: Math.max(1, Math.min(60, Math.floor(settings.leaseSeconds / 2))),
      archiveCompletedAfterSeconds: 3600, deleteAfterDays: 1,
    });
    boss.on('error', onError);
    await boss.start();
    return new JobQueue(db, boss, bossSchema, locks, settings);
  }

  /** Pending events with no live job (queued before the hub ran as a cluster) get one; one process does it. */
  async recover(): Promise<void> {
    await this.locks.tryHold('recover-jobs', async () => {
      const orphans = await sql<PendingEvent>`SELECT e.id, e.flow_id, e.next_attempt_at FROM flow_events e WHERE e.status = 'pending'
        AND NOT EXISTS (SELECT 1 FROM ${sql.table(`${this.bossSchema}.job`)} j WHERE j.name = 'flow-' || e.flow_id AND j.state < 'completed' AND j.data->>'event' = e.id)`.execute(this.db);
      if (orphans.rows.length) await this.db.transaction().execute((trx) => this.deliver(trx, orphans.rows));
    });
  }

  async deliver(trx: Kysely<HubDatabase>, events: PendingEvent[]): Promise<void> {
    if (!events.length) return;
    // A job for a queue that does not exist yet would be dropped, so the queue is made first (on its own, once).
    for (const flowId of new Set(events.map((e) => e.flow_id))) await this.#queue(flowId);
    await this.boss.insert(events.map((e) => ({
      name: flowQueue(e.flow_id), data: { event: e.id }, startAfter: new Date(Number(e.next_attempt_at)).toISOString(),
      expireInSeconds: this.settings.leaseSeconds,
      // A job comes back however often its process dies; the flow's own retry policy decides when an event gives up.
      retryLimit: 1_000_000, retryDelay: 0,
    })), { db: inTransaction(trx) });
  }

  async take(flowId: string, limit: number): Promise<FlowEventTable[]> {
    const queue = flowQueue(flowId);
    await this.#queue(flowId);
    const jobs = await this.boss.fetch<{ event: string }>(queue, { batchSize: limit });
    if (!jobs.length) return [];
    const jobOf = new Map(jobs.map((j) => [j.data.event, j.id]));
    const ids = [...jobOf.keys()];
    const pending: FlowEventTable[] = [];
    const blocked = new Set<string>();
    for (let i = 0; i < ids.length; i += IDS_PER_QUERY) {
      const chunk = ids.slice(i, i + IDS_PER_QUERY);
      pending.push(...await this.db.selectFrom('flow_events').selectAll().where('id', 'in', chunk).where('status', '=', 'pending').execute());
      const waiting = await this.db.selectFrom('flow_events as e').select('e.id').where('e.id', 'in', chunk).where('e.record_key', 'is not', null)
        .where((eb) => eb.exists(eb.selectFrom('flow_events as p').select(sql<number>`1`.as('one'))
          .whereRef('p.flow_id', '=', 'e.flow_id').whereRef('p.record_key', '=', 'e.record_key').where('p.status', '=', 'pending').whereRef('p.id', '<', 'e.id')))
        .execute();
      for (const w of waiting) blocked.add(w.id);
    }
    const pendingIds = new Set(pending.map((e) => e.id));
    // Done, dead or deleted since the job was made (a run recorded just before its process died): nothing to run.
    const finished = ids.filter((id) => !pendingIds.has(id)).map((id) => jobOf.get(id)!);
    if (finished.length) await completeJobs(this.boss, queue, finished);
    const ready: FlowEventTable[] = [];
    const later: FlowEventTable[] = [];
    for (const event of pending.sort((a, b) => (a.id < b.id ? -1 : 1))) {
      this.#jobs.set(event.id, { queue, id: jobOf.get(event.id)! });
      (blocked.has(event.id) ? later : ready).push(event);
    }
    if (later.length) await this.giveBack(later, Date.now() + BLOCKED_RETRY_MS);
    return ready;
  }

  async giveBack(events: FlowEventTable[], at: number): Promise<void> {
    if (!events.length) return;
    await this.db.transaction().execute(async (trx) => {
      await this.#complete(trx, events.map((e) => e.id));
      await this.deliver(trx, events.map((e) => ({ id: e.id, flow_id: e.flow_id, next_attempt_at: at })));
    });
  }

  async settle(trx: Kysely<HubDatabase>, outcomes: Outcome[]): Promise<void> {
    await this.#complete(trx, outcomes.map((o) => o.eventId));
    const retries = outcomes.filter((o) => o.event.status === 'pending');
    await this.deliver(trx, retries.map((o) => ({ id: o.eventId, flow_id: o.run.flow_id, next_attempt_at: o.event.next_attempt_at })));
  }

  /** Completes the jobs of events this process fetched, in the transaction given. */
  async #complete(trx: Kysely<HubDatabase>, eventIds: string[]): Promise<void> {
    const byQueue = new Map<string, string[]>();
    for (const id of eventIds) {
      const job = this.#jobs.get(id);
      if (!job) continue;
      this.#jobs.delete(id);
      byQueue.set(job.queue, [...byQueue.get(job.queue) ?? [], job.id]);
    }
    for (const [queue, ids] of byQueue) await completeJobs(this.boss, queue, ids, inTransaction(trx));
  }

  async idleWait(): Promise<number> {
    return IDLE_FETCH_MS;
  }

  /** pg-boss has its own connections to the store. */
  reachable(): Promise<Reachability> {
    return answers(() => this.boss.getDb().executeSql('SELECT 1', []));
  }

  exclusive<T>(name: string, work: () => Promise<T>): Promise<T | undefined> {
    return this.locks.tryHold(name, work);
  }

  async #queue(flowId: string): Promise<void> {
    const queue = flowQueue(flowId);
    if (this.#queues.has(queue)) return;
    // Two processes creating one queue at once deadlock inside pg-boss's create_queue (each holds a
    // lock the other's foreign key needs; PostgreSQL aborts one): the aborted one tries again and
    // finds the queue made.
    for (let attempt = 1; ; attempt++) {
      try {
        await this.boss.createQueue(queue);
        break;
      } catch (error) {
        if ((error as { code?: string }).code !== DEADLOCK || attempt >= QUEUE_CREATE_ATTEMPTS) throw error;
        await new Promise((r) => setTimeout(r, 10 * attempt + Math.random() * 40));
      }
    }
    this.#queues.add(queue);
  }

  /** Stops fetching; jobs this process holds and has not settled expire to another process. */
  async close(): Promise<void> {
    await this.boss.stop({ graceful: false, wait: true });
    await this.locks.close();
  }
}
