import type { HubContext } from '../../context.js';
import type { FlowEventTable } from '../../store/schema.js';
import { apiUsageShare } from '../calls/clients.js';
import { RetryableError } from '../calls/errors.js';
import { API_USAGE_SLOWDOWN } from '../calls/limiter.js';
import { durationMs, type FlowDefinition } from '../definition.js';
import { pollOf } from '../triggers/registry.js';
import { backlogOf, knownDedupeKeys, type Outcome, type OutcomeWriter } from './event-store.js';
import { pendingEvent, queueEvents } from './event-queue.js';
import { runEvents, type RunObserver } from './run-events.js';
import type { TriggerSession } from '../triggers/trigger.js';
import type { Semaphore } from './semaphore.js';

/** Pending events per flow above which its trigger waits (the source is spared pages that would only queue). */
const MAX_BACKLOG = 1000;

export interface LaneFlow { id: string; name: string; status: string; updatedAt: number; definition: FlowDefinition; savedBy: string | null }

export interface LaneServices {
  ctx: HubContext;
  writer: OutcomeWriter;
  /** The hub-wide cap on units of work in flight. */
  hubSlots: Semaphore;
  observer: RunObserver & {
    ran(flow: LaneFlow, outcomes: { run: { status: string } }[]): void;
    failed(flow: LaneFlow, stage: string, error: unknown): void;
    inFlight(flow: LaneFlow, events: number): void;
    notice(flow: LaneFlow, message: string): void;
  };
  idleMs: number;
}

/**
 * One flow's worker: a trigger loop (polls when due and while the backlog is small) and a dispatch
 * loop (claims due events and runs up to `concurrency` units of them at once; a unit is one event,
 * or a batch of up to `batch.size`). Each flow has its own loops, so a slow, failing, paused or
 * hanging flow holds up only itself.
 */
export class FlowLane {
  #running = true;
  #units = new Set<Promise<void>>();
  /** Outcomes waiting for the writer's next wave. */
  #commits = new Set<Promise<void>>();
  #inFlightEvents = 0;
  /** Events this lane has claimed and not started yet, oldest first. */
  #ready: FlowEventTable[] = [];
  /** How to wake each loop while it sleeps. */
  #sleepers = new Map<'poll' | 'dispatch', () => void>();
  /** Wakes that came while their loop was busy. */
  #woken = new Set<'poll' | 'dispatch'>();
  #done: Promise<unknown>;
  /** The trigger's session (a streaming subscription), if it keeps one. */
  #session: TriggerSession | undefined;
  nextPollAt = 0;
  lastPollError: string | undefined;
  lastNotice: string | undefined;

  constructor(public flow: LaneFlow, private readonly services: LaneServices) {
    this.#done = Promise.all([this.#pollLoop(), this.#dispatchLoop()]);
  }

  /** A new definition or status: takes effect for the next poll and the next claim. */
  update(flow: LaneFlow): void {
    const triggerChanged = JSON.stringify(flow.definition.trigger) !== JSON.stringify(this.flow.definition.trigger);
    this.flow = flow;
    if (triggerChanged) this.nextPollAt = 0;
    if (triggerChanged || flow.status !== 'active') this.#closeSession();
    this.wake();
  }

  #closeSession(): void {
    const session = this.#session;
    this.#session = undefined;
    void session?.close().catch((error: unknown) => this.services.observer.failed(this.flow, 'poll', error));
  }

  wake(): void {
    this.#wakeUp('dispatch');
    this.#wakeUp('poll');
  }

  async stop(): Promise<void> {
    this.#running = false;
    this.#closeSession();
    this.wake();
    await this.#done;
    await Promise.allSettled([...this.#units]);
    await Promise.allSettled([...this.#commits]);
  }

  /**
   * Sleeps up to `ms`, or until woken. A wake that comes while the loop is busy is kept, so the
   * loop goes round again at once instead of missing it (a unit that finishes mid-dispatch frees
   * its slot for the very next turn).
   */
  #sleep(ms: number, which: 'poll' | 'dispatch'): Promise<void> {
    if (this.#woken.delete(which)) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.#sleepers.delete(which);
        resolve();
      };
      // Timers hold at most 2^31-1 ms (longer ones fire at once); a webhook flow never polls.
      const timer = setTimeout(done, Math.min(Math.max(0, ms), 2 ** 31 - 1));
      this.#sleepers.set(which, done);
    });
  }

  #wakeUp(which: 'poll' | 'dispatch'): void {
    const sleeping = this.#sleepers.get(which);
    if (sleeping) sleeping();
    else this.#woken.add(which);
  }

  async #pollLoop(): Promise<void> {
    const { ctx } = this.services;
    while (this.#running) {
      let wait = this.services.idleMs;
      try {
        if (this.flow.status === 'active' && this.nextPollAt <= ctx.now()) {
          if (!pollOf(this.flow.definition.trigger)) this.nextPollAt = Number.MAX_SAFE_INTEGER; // webhooks: events arrive through the API
          else if ((await backlogOf(ctx.db, this.flow.id)) < MAX_BACKLOG) {
            // In a cluster, one process polls a flow at a time; the others look again after the interval.
            const polled = await ctx.work.exclusive(`poll:${this.flow.id}`, async () => {
              await this.#poll();
              return true;
            });
            if (!polled) this.nextPollAt = ctx.now() + this.#interval();
            this.#wakeUp('dispatch');
            wait = Math.max(0, this.nextPollAt - ctx.now());
          }
          // else: the backlog is full; look again after idleMs.
        } else if (this.flow.status === 'active') wait = Math.max(0, this.nextPollAt - ctx.now());
      } catch (error) {
        this.services.observer.failed(this.flow, 'poll', error);
      }
      if (this.#running) await this.#sleep(wait, 'poll');
    }
  }

  #interval(): number {
    const trigger = this.flow.definition.trigger;
    return 'interval' in trigger ? durationMs(trigger.interval) : 1000;
  }

  /** Reads the flow's trigger from its stored cursor; the new events and cursor commit together. */
  async #poll(): Promise<void> {
    const { ctx } = this.services;
    const flow = this.flow;
    const trigger = flow.definition.trigger;
    const interval = this.#interval();
    const poll = pollOf(trigger);
    if (!poll) return;
    const cursorRow = await ctx.db.selectFrom('flow_cursors').select('cursor').where('flow_id', '=', flow.id).executeTakeFirst();
    let result: Awaited<ReturnType<typeof poll>>;
    try {
      result = await poll(ctx, trigger, cursorRow?.cursor, {
        runAs: flow.savedBy ?? undefined,
        known: (keys) => knownDedupeKeys(ctx.db, flow.id, keys),
        session: <S extends TriggerSession>(open: () => S) => (this.#session ??= open()) as S,
        notice: (message) => {
          this.lastNotice = message;
          this.services.observer.notice(flow, message);
        },
      });
      this.lastPollError = undefined;
    } catch (error) {
      // Stopping or pausing ends a long poll: that is not a failure.
      if (!this.#running || this.flow.status !== 'active') return;
      this.lastPollError = (error as Error).message;
      this.services.observer.failed(flow, 'poll', error);
      // A Retry-After holds the poll as long as it asks (and the connection's limiter holds every call).
      const retryAfter = error instanceof RetryableError ? error.retryAfterMs ?? 0 : 0;
      this.nextPollAt = ctx.now() + Math.max(interval, retryAfter);
      return;
    }
    const now = ctx.now();
    // A drained source (nothing new, the same cursor) costs no write.
    if (result.events.length || result.cursor !== (cursorRow?.cursor ?? null)) await ctx.db.transaction().execute(async (trx) => {
      await queueEvents(trx, ctx.work, result.events.map((event) => pendingEvent(flow.id, event.dedupeKey, event.payload, now, event.recordKey)));
      await trx.insertInto('flow_cursors').values({ flow_id: flow.id, cursor: result.cursor, updated_at: now })
        .onConflict((oc) => oc.column('flow_id').doUpdateSet({ cursor: result.cursor, updated_at: now })).execute();
    });
    const slow = trigger.type === 'salesforce' && apiUsageShare(ctx, trigger.connection) > API_USAGE_SLOWDOWN ? 10 : 1;
    this.nextPollAt = result.nextAt ?? (result.more ? now : now + interval * slow);
  }

  async #dispatchLoop(): Promise<void> {
    while (this.#running) {
      let wait = this.services.idleMs;
      try {
        if (this.flow.status === 'active') wait = await this.#dispatch();
        else await this.#releaseReady();
      } catch (error) {
        this.services.observer.failed(this.flow, 'dispatch', error);
      }
      if (this.#running && wait > 0) await this.#sleep(wait, 'dispatch');
    }
    await this.#releaseReady().catch((error: unknown) => this.services.observer.failed(this.flow, 'dispatch', error));
  }

  /** Claimed events not started yet go back to the queue (the flow was paused, or the hub stops). */
  async #releaseReady(): Promise<void> {
    if (!this.#ready.length) return;
    const events = this.#ready;
    this.#ready = [];
    await this.services.ctx.work.giveBack(events, this.services.ctx.now());
  }

  /**
   * Claims what the flow may run (up to twice its concurrency ahead, so that a finishing unit starts
   * the next without a round trip to the store) and starts units while there are free slots;
   * returns how long to wait before trying again (0: at once).
   */
  async #dispatch(): Promise<number> {
    const { ctx } = this.services;
    const { concurrency, batch } = this.flow.definition;
    const size = batch?.size ?? 1;
    let free = concurrency - this.#units.size;
    if (free <= 0) return this.services.idleMs;
    const now = ctx.now();
    if (this.#ready.length < free * size) this.#ready.push(...await ctx.work.take(this.flow.id, 2 * concurrency * size - this.#ready.length, now));
    if (!this.#ready.length) return Math.max(this.services.idleMs, await ctx.work.idleWait(this.flow.id, now));
    if (batch && this.#ready.length < size) {
      // A partial batch waits for more, up to maxWait from its oldest event's arrival.
      const at = Math.min(...this.#ready.map((e) => e.next_attempt_at)) + durationMs(batch.maxWait);
      if (at > now) return Math.min(at - now, this.services.idleMs);
    }
    while (free > 0 && this.#ready.length) {
      this.#start(this.#ready.splice(0, size));
      free--;
    }
    return this.#ready.length >= size && free === 0 ? this.services.idleMs : this.#ready.length ? 0 : this.services.idleMs;
  }

  #start(events: FlowEventTable[]): void {
    const { ctx, writer, hubSlots, observer } = this.services;
    const flow = this.flow;
    this.#inFlightEvents += events.length;
    observer.inFlight(flow, this.#inFlightEvents);
    const done = () => {
      this.#inFlightEvents -= events.length;
      observer.inFlight(flow, this.#inFlightEvents);
    };
    // Nothing was recorded for these events: they run again shortly (or after a restart, if the store is down).
    const giveBack = async (error: unknown) => {
      observer.failed(flow, 'run', error);
      await ctx.work.giveBack(events, ctx.now() + 1000).catch(() => undefined);
      done();
    };
    const unit = (async () => {
      let outcomes: Outcome[];
      await hubSlots.acquire();
      try {
        outcomes = await runEvents(ctx, flow, events, observer);
      } catch (error) {
        return giveBack(error);
      } finally {
        hubSlots.release();
      }
      // The slot is free once the actions are done; the outcomes go in the writer's next wave. Until
      // then the events stay pending and claimed, so a record's next version still waits for this one.
      const commit: Promise<void> = writer.commit(outcomes).then(() => {
        observer.ran(flow, outcomes);
        done();
      }, giveBack).finally(() => {
        this.#commits.delete(commit);
        // A retry's time or the record's next version is only visible once committed.
        this.#wakeUp('dispatch');
      });
      this.#commits.add(commit);
    })();
    this.#units.add(unit);
    void unit.finally(() => {
      this.#units.delete(unit);
      this.#wakeUp('dispatch');
    });
  }
}
