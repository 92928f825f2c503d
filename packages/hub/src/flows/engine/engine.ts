import type { HubContext } from '../../context.js';
import { defaultLimits, limiterFor } from '../calls/clients.js';
import { ratePerSecond, type LimiterSettings } from '../calls/limiter.js';
import type { FlowDefinition } from '../definition.js';
import { backlogByFlow, OutcomeWriter } from './event-store.js';
import { FlowLane, type LaneFlow, type LaneServices } from './flow-lane.js';
import { pruneFlowHistory } from './retention.js';
import { Semaphore } from './semaphore.js';

export interface FlowEngineOptions {
  /** How long a worker sleeps when there is nothing to do. */
  idleMs?: number;
  /** How long runs and done events are kept (default 14 days); dead letters stay until replayed. */
  retentionMs?: number;
  /** Units of work (an event, or a batch) in flight across every flow (default 100). */
  maxInFlight?: number;
  /** Where engine errors are logged (a pino-style logger). */
  log?: { error(object: object, message: string): void; warn?(object: object, message: string): void };
}

const DEFAULT_RETENTION_MS = 14 * 86_400_000;
/** How often the engine prunes history older than the retention. */
const PRUNE_EVERY_MS = 10 * 60_000;
/** How often saved flows are re-read (a change through the API or another process is seen this fast). */
const REFRESH_MS = 250;
/** How often backlog and lag are measured for /metrics. */
const GAUGES_EVERY_MS = 2000;

/**
 * Runs saved flows, each in its own lane (flow-lane.ts): this supervisor only keeps the lanes in
 * step with the saved flows, applies the flows' connection limits, and prunes history. An event is
 * marked done only after its actions succeeded and every action is an idempotent write, so a crash
 * anywhere re-runs at most the events that were in flight and never loses or duplicates a record.
 */
export class FlowEngine {
  #running = false;
  #loopDone: Promise<void> = Promise.resolve();
  #lanes = new Map<string, FlowLane>();
  #wake: (() => void) | undefined;
  #nextPruneAt = 0;
  #nextGaugesAt = 0;
  readonly #services: LaneServices;

  constructor(private readonly ctx: HubContext, private readonly options: FlowEngineOptions = {}) {
    const metrics = ctx.metrics;
    const failed = (flow: LaneFlow, stage: string, error: unknown) => {
      metrics.flowEngineError(flow.name, stage);
      options.log?.error({ flow: flow.name, stage, err: error }, `flow ${flow.name}: ${stage} failed: ${(error as Error).message}`);
    };
    this.#services = {
      ctx,
      writer: new OutcomeWriter(ctx.db, ctx.work, ctx.now),
      hubSlots: new Semaphore(options.maxInFlight ?? 100),
      idleMs: options.idleMs ?? 100,
      observer: {
        actionCall: (flow, action, target, seconds, events) => metrics.flowActionCall(flow.name, action.name, target, seconds, events),
        ran: (flow, outcomes) => { for (const o of outcomes) metrics.flowRun(flow.name, o.run.status); },
        failed,
        inFlight: (flow, events) => metrics.flowInFlight(flow.name, events),
        notice: (flow, message) => (options.log?.warn ?? options.log?.error)?.call(options.log, { flow: flow.name }, `flow ${flow.name}: ${message}`),
      },
    };
  }

  /** Whether the engine runs (started and not stopped). */
  get running(): boolean {
    return this.#running;
  }

  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.ctx.queued.listen((flowId) => this.#lanes.get(flowId)?.wake());
    this.#loopDone = this.#loop();
  }

  async stop(): Promise<void> {
    this.#running = false;
    this.ctx.queued.listen(undefined);
    this.#wake?.();
    await this.#loopDone;
    await Promise.all([...this.#lanes.values()].map((lane) => lane.stop()));
    this.#lanes.clear();
  }

  /** Why the last poll of a flow failed, if it did (shown by the API). */
  pollError(flowId: string): string | undefined {
    return this.#lanes.get(flowId)?.lastPollError;
  }

  /** What the flow's trigger last did on its own account, e.g. closing a gap in a change stream (shown by the API). */
  triggerNotice(flowId: string): string | undefined {
    return this.#lanes.get(flowId)?.lastNotice;
  }

  async #loop(): Promise<void> {
    await this.ctx.work.recover().catch((error: unknown) => this.options.log?.error({ err: error }, `taking over claimed events failed: ${(error as Error).message}`));
    while (this.#running) {
      try {
        await this.#refreshFlows();
        const now = this.ctx.now();
        if (now >= this.#nextGaugesAt) {
          this.#nextGaugesAt = now + GAUGES_EVERY_MS;
          const backlog = await backlogByFlow(this.ctx.db);
          for (const lane of this.#lanes.values()) {
            const b = backlog.get(lane.flow.id);
            this.ctx.metrics.flowBacklog(lane.flow.name, b?.pending ?? 0, b ? (now - b.oldest) / 1000 : 0);
          }
        }
        if (now >= this.#nextPruneAt) {
          this.#nextPruneAt = now + PRUNE_EVERY_MS;
          await this.ctx.work.exclusive('retention', () => pruneFlowHistory(this.ctx.db, now - (this.options.retentionMs ?? DEFAULT_RETENTION_MS)));
        }
      } catch (error) {
        // A store hiccup must not stop the engine; the next turn tries again.
        this.ctx.metrics.flowEngineError('(engine)', 'refresh');
        this.options.log?.error({ err: error }, `flow engine: ${(error as Error).message}`);
      }
      if (this.#running) await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, REFRESH_MS);
        this.#wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  }

  async #refreshFlows(): Promise<void> {
    const rows = await this.ctx.db.selectFrom('flows').select(['id', 'name', 'status', 'updated_at', 'definition', 'saved_by']).execute();
    const seen = new Set<string>();
    let changed = false;
    for (const row of rows) {
      seen.add(row.id);
      const lane = this.#lanes.get(row.id);
      // Unchanged since the last turn: keep the parsed definition (and the mappings compiled from it).
      if (lane && lane.flow.updatedAt === row.updated_at && lane.flow.status === row.status) continue;
      const flow: LaneFlow = { id: row.id, name: row.name, status: row.status, updatedAt: row.updated_at, savedBy: row.saved_by, definition: lane && lane.flow.updatedAt === row.updated_at ? lane.flow.definition : JSON.parse(row.definition) as FlowDefinition };
      if (lane) lane.update(flow);
      else this.#lanes.set(row.id, new FlowLane(flow, this.#services));
      changed = true;
    }
    if (changed) this.#applyLimits();
    for (const [id, lane] of this.#lanes) {
      if (seen.has(id)) continue;
      this.#lanes.delete(id);
      void lane.stop();
    }
  }

  /** Each connection's limits: the strictest any active flow declares. */
  #applyLimits(): void {
    const settings = new Map<string, LimiterSettings>();
    for (const lane of this.#lanes.values()) {
      if (lane.flow.status !== 'active') continue;
      for (const [name, limit] of Object.entries(lane.flow.definition.limits ?? {})) {
        const rate = limit.rateLimit ? ratePerSecond(limit.rateLimit) : undefined;
        const current = settings.get(name);
        settings.set(name, {
          maxInFlight: Math.min(current?.maxInFlight ?? Infinity, limit.maxInFlight ?? Infinity),
          ratePerSecond: [current?.ratePerSecond, rate].filter((r): r is number => r !== undefined).reduce<number | undefined>((a, b) => (a === undefined ? b : Math.min(a, b)), undefined),
        });
      }
    }
    for (const [name, s] of settings) {
      // A name is a Salesforce connection or a named credential; the limiter of whichever it is takes it.
      for (const key of [`connection:${name}`, `named:${name}`]) {
        limiterFor(this.ctx, key, { maxInFlight: Number.isFinite(s.maxInFlight) ? s.maxInFlight : defaultLimits(key).maxInFlight, ratePerSecond: s.ratePerSecond });
      }
    }
  }
}
