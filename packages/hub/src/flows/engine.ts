import { v7 as uuidv7 } from 'uuid';
import type { HubContext } from '../context.js';
import type { FlowEventTable, FlowRunTable } from '../store/schema.js';

import { runCollectionsAction, runQueryAction, runSalesforceAction, salesforceLookup } from './actions/salesforce.js';
import { runServiceAction } from './actions/service.js';
import { durationMs, type FlowDefinition } from './definition.js';
import { apiUsageShare, PermanentError, RetryableError } from './endpoints.js';
import { pendingEvent, queueEvents, ROWS_PER_STATEMENT } from './event-queue.js';
import { pruneFlowHistory } from './retention.js';
import { compileList, compileMapping, expression, MappingError } from './mapping.js';
import { pollFeed } from './triggers/feed-changes.js';
import { pollSalesforce } from './triggers/salesforce-changes.js';
import { pollSchedule } from './triggers/schedule.js';
import type { PollResult } from './triggers/trigger.js';

export interface FlowEngineOptions {
  /** How long the loop sleeps when there is nothing to do. */
  idleMs?: number;
  /** Events run per loop turn. */
  batch?: number;
  /** How long runs and done events are kept (default 14 days); dead letters stay until replayed. */
  retentionMs?: number;
}

const DEFAULT_RETENTION_MS = 14 * 86_400_000;
/** How often the engine prunes history older than the retention. */
const PRUNE_EVERY_MS = 10 * 60_000;

interface Outcome { eventId: string; event: Pick<FlowEventTable, 'status' | 'attempts' | 'next_attempt_at' | 'last_error' | 'updated_at'>; run: FlowRunTable }

interface FlowState { id: string; name: string; status: string; updatedAt: number; definition: FlowDefinition; nextPollAt: number; lastPollError?: string }

/** Pending events per flow above which its trigger waits. */
const MAX_BACKLOG = 1000;

/** Above this share of the daily API allowance, Salesforce triggers poll ten times less often. */
const API_USAGE_SLOWDOWN = 0.9;

/**
 * Runs saved flows: polls each active flow's trigger when due, and runs queued events through the
 * flow's actions. A poll's events and the cursor after them commit in one transaction; an event is
 * marked done only after its actions succeeded, and every action is an idempotent write, so a crash
 * anywhere re-runs at most the in-flight event and never loses or duplicates a record. Failed events
 * are retried with exponential backoff and jitter (honouring Retry-After), the schedule kept in the
 * store so it survives a restart, then dead-lettered.
 */
export class FlowEngine {
  private running = false;
  private loopDone: Promise<void> = Promise.resolve();
  private flows = new Map<string, FlowState>();
  private wake: (() => void) | undefined;
  private nextPruneAt = 0;

  constructor(private readonly ctx: HubContext, private readonly options: FlowEngineOptions = {}) {}

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loopDone = this.loop();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.wake?.();
    await this.loopDone;
  }

  /** Why the last poll of a flow failed, if it did (shown by the API). */
  pollError(flowId: string): string | undefined {
    return this.flows.get(flowId)?.lastPollError;
  }

  private async loop(): Promise<void> {
    while (this.running) {
      let worked = false;
      try {
        await this.refreshFlows();
        // Backpressure: while a backlog waits, triggers do not fetch more (the source is spared
        // pages that would only queue up, and memory stays flat however large the backfill).
        const backlog = await this.backlog();
        for (const flow of this.flows.values()) {
          if (flow.status !== 'active' || flow.nextPollAt > this.ctx.now() || (backlog.get(flow.id) ?? 0) >= MAX_BACKLOG) continue;
          worked = (await this.pollFlow(flow)) || worked;
        }
        worked = (await this.dispatchDue()) || worked;
        if (this.ctx.now() >= this.nextPruneAt) {
          this.nextPruneAt = this.ctx.now() + PRUNE_EVERY_MS;
          await pruneFlowHistory(this.ctx.db, this.ctx.now() - (this.options.retentionMs ?? DEFAULT_RETENTION_MS));
        }
      } catch {
        // A store hiccup must not stop the engine; the next turn tries again.
      }
      if (!worked && this.running) await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, this.options.idleMs ?? 100);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  }

  private async backlog(): Promise<Map<string, number>> {
    const rows = await this.ctx.db.selectFrom('flow_events').select(['flow_id', (eb) => eb.fn.countAll<number>().as('n')]).where('status', '=', 'pending').groupBy('flow_id').execute();
    return new Map(rows.map((r) => [r.flow_id, Number(r.n)]));
  }

  private async refreshFlows(): Promise<void> {
    const rows = await this.ctx.db.selectFrom('flows').selectAll().execute();
    const seen = new Set<string>();
    for (const row of rows) {
      seen.add(row.id);
      const current = this.flows.get(row.id);
      if (current && current.updatedAt === row.updated_at) {
        // Unchanged since the last turn: keep the parsed definition (and the mappings compiled from it).
        current.status = row.status;
        continue;
      }
      const definition = JSON.parse(row.definition) as FlowDefinition;
      const changed = current !== undefined && JSON.stringify(current.definition.trigger) !== JSON.stringify(definition.trigger);
      this.flows.set(row.id, { id: row.id, name: row.name, status: row.status, updatedAt: row.updated_at, definition, nextPollAt: changed ? 0 : current?.nextPollAt ?? 0, ...(current?.lastPollError ? { lastPollError: current.lastPollError } : {}) });
    }
    for (const id of this.flows.keys()) if (!seen.has(id)) this.flows.delete(id);
  }

  /** One poll of a flow's trigger; true if it found anything. */
  async pollFlow(flow: FlowState): Promise<boolean> {
    const trigger = flow.definition.trigger;
    if (trigger.type === 'webhook') {
      // Webhook events arrive through the API; there is nothing to poll.
      flow.nextPollAt = Number.MAX_SAFE_INTEGER;
      return false;
    }
    const cursorRow = await this.ctx.db.selectFrom('flow_cursors').select('cursor').where('flow_id', '=', flow.id).executeTakeFirst();
    const interval = 'interval' in trigger ? durationMs(trigger.interval) : 1000;
    let result: PollResult;
    let nextAt: number | undefined;
    try {
      if (trigger.type === 'schedule') {
        const ticks = pollSchedule(trigger, cursorRow?.cursor, this.ctx.now());
        result = ticks;
        nextAt = ticks.nextAt;
      } else {
        result = trigger.type === 'salesforce'
          ? await pollSalesforce(this.ctx, trigger, cursorRow?.cursor)
          : await pollFeed(this.ctx, trigger, cursorRow?.cursor);
      }
      delete flow.lastPollError;
    } catch (error) {
      flow.lastPollError = (error as Error).message;
      flow.nextPollAt = this.ctx.now() + interval;
      return false;
    }
    const now = this.ctx.now();
    await this.ctx.db.transaction().execute(async (trx) => {
      await queueEvents(trx, result.events.map((event) => pendingEvent(flow.id, event.dedupeKey, event.payload, now)));
      await trx.insertInto('flow_cursors').values({ flow_id: flow.id, cursor: result.cursor, updated_at: now })
        .onConflict((oc) => oc.column('flow_id').doUpdateSet({ cursor: result.cursor, updated_at: now })).execute();
    });
    const slow = trigger.type === 'salesforce' && apiUsageShare(this.ctx, trigger.connection) > API_USAGE_SLOWDOWN ? 10 : 1;
    flow.nextPollAt = nextAt ?? (result.more ? now : now + interval * slow);
    return result.events.length > 0;
  }

  /** Runs due events, oldest first; true if it ran any. */
  async dispatchDue(): Promise<boolean> {
    const due = await this.ctx.db.selectFrom('flow_events').selectAll().where('status', '=', 'pending').where('next_attempt_at', '<=', this.ctx.now())
      .orderBy('created_at').orderBy('id').limit(this.options.batch ?? 200).execute();
    // Outcomes are committed together after the batch: a crash before the commit re-runs those
    // events, which their idempotent writes absorb, and the store does one write per batch.
    const outcomes: Outcome[] = [];
    for (const event of due) {
      const flow = this.flows.get(event.flow_id);
      if (!flow || flow.status !== 'active') continue;
      outcomes.push(await this.runEvent(flow, event));
    }
    if (outcomes.length) {
      const now = this.ctx.now();
      await this.ctx.db.transaction().execute(async (trx) => {
        // Done events differ only in their attempt count: one UPDATE per count, not one per event.
        const done = new Map<number, string[]>();
        for (const o of outcomes) {
          if (o.event.status !== 'done') {
            await trx.updateTable('flow_events').set(o.event).where('id', '=', o.eventId).execute();
            continue;
          }
          let ids = done.get(o.event.attempts);
          if (!ids) done.set(o.event.attempts, (ids = []));
          ids.push(o.eventId);
        }
        for (const [attempts, ids] of done) {
          for (let i = 0; i < ids.length; i += ROWS_PER_STATEMENT) {
            await trx.updateTable('flow_events').set({ status: 'done', attempts, next_attempt_at: now, last_error: null, updated_at: now }).where('id', 'in', ids.slice(i, i + ROWS_PER_STATEMENT)).execute();
          }
        }
        for (let i = 0; i < outcomes.length; i += ROWS_PER_STATEMENT) {
          await trx.insertInto('flow_runs').values(outcomes.slice(i, i + ROWS_PER_STATEMENT).map((o) => o.run)).execute();
        }
      });
    }
    return outcomes.length > 0;
  }

  private async runEvent(flow: FlowState, event: FlowEventTable): Promise<Outcome> {
    const started = this.ctx.now();
    const attempt = event.attempts + 1;
    const steps: { action: string; status: string; input?: unknown; output?: unknown; error?: string; durationMs: number }[] = [];
    const payload = JSON.parse(event.payload) as unknown;
    let outcome: 'done' | 'skipped' | 'retry' | 'dead' = 'done';
    let error: string | null = null;
    let retryAfter: number | undefined;
    try {
      for (const condition of flow.definition.conditions) {
        if (!(await expression(condition).evaluate(payload))) {
          outcome = 'skipped';
          steps.push({ action: 'conditions', status: 'skipped', output: `condition not met: ${condition}`, durationMs: 0 });
          break;
        }
      }
      if (outcome === 'done') {
        // Later actions map from the event and from earlier actions' outputs (`_steps.<name>`).
        const outputs: Record<string, unknown> = {};
        const source = payload !== null && typeof payload === 'object' && !Array.isArray(payload) ? { ...(payload as object), _steps: outputs } : payload;
        for (const action of flow.definition.actions) {
          const t = this.ctx.now();
          const context = action.type === 'service' ? {} : { lookup: salesforceLookup(this.ctx, action.connection) };
          let input: unknown;
          try {
            let output: unknown;
            switch (action.type) {
              case 'service':
                input = await compileMapping(action.mapping)(source, context);
                output = await runServiceAction(this.ctx, action, input as Record<string, unknown>, await compileMapping(action.params)(source, context), `${flow.id}:${event.dedupe_key}:${action.name}`);
                break;
              case 'salesforce.query':
                input = action.soql;
                output = await runQueryAction(this.ctx, action, source);
                break;
              case 'salesforce.collections':
                input = await compileList(action.records)(source, context);
                output = await runCollectionsAction(this.ctx, action, input as Record<string, unknown>[]);
                break;
              default:
                input = await compileMapping(action.mapping)(source, context);
                output = await runSalesforceAction(this.ctx, action, input as Record<string, unknown>);
            }
            outputs[action.name] = output;
            steps.push({ action: action.name, status: 'success', input, output, durationMs: this.ctx.now() - t });
          } catch (failure) {
            steps.push({ action: action.name, status: 'failed', input, error: (failure as Error).message, durationMs: this.ctx.now() - t });
            throw failure;
          }
        }
      }
    } catch (failure) {
      error = (failure as Error).message;
      const retryable = failure instanceof RetryableError || !(failure instanceof PermanentError || failure instanceof MappingError);
      if (failure instanceof RetryableError) retryAfter = failure.retryAfterMs;
      outcome = retryable && attempt < flow.definition.retry.attempts ? 'retry' : 'dead';
    }
    const now = this.ctx.now();
    const status = outcome === 'retry' ? 'pending' : outcome === 'dead' ? 'dead' : 'done';
    const backoff = () => {
      const initial = durationMs(flow.definition.retry.initialDelay);
      const ceiling = Math.min(durationMs(flow.definition.retry.maxDelay), initial * 2 ** (attempt - 1));
      return Math.max(retryAfter ?? 0, Math.round(ceiling * (0.5 + Math.random() * 0.5)));
    };
    return {
      eventId: event.id,
      event: { status, attempts: attempt, next_attempt_at: outcome === 'retry' ? now + backoff() : now, last_error: error, updated_at: now },
      // Time-ordered, like event ids: runs are written at the end of their index, never in the middle.
      run: { id: uuidv7(), flow_id: flow.id, event_id: event.id, status: outcome === 'done' ? 'success' : outcome === 'skipped' ? 'skipped' : outcome === 'retry' ? 'failed' : 'dead', attempt, steps: JSON.stringify(steps), error, started_at: started, duration_ms: now - started },
    };
  }
}
