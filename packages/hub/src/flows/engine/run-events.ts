import { v7 as uuidv7 } from 'uuid';
import type { HubContext } from '../../context.js';
import type { FlowEventTable } from '../../store/schema.js';
import { actionKind } from '../actions/registry.js';
import type { ActionItem, ItemResult } from '../actions/action-kind.js';
import { PermanentError, RetryableError } from '../calls/errors.js';
import { durationMs, type FlowAction, type FlowDefinition } from '../definition.js';
import { expression, MappingError } from '../mapping.js';
import type { Outcome } from './event-store.js';

/** A flow as the engine runs it; `savedBy` is the API key it runs as (null: the hub's operator). */
export interface RunnableFlow { id: string; name: string; definition: FlowDefinition; savedBy: string | null }

/** What the dispatcher reports as it runs actions (metrics). */
export interface RunObserver {
  actionCall(flow: RunnableFlow, action: FlowAction, target: string, seconds: number, events: number): void;
}

interface Step { action: string; status: string; input?: unknown; output?: unknown; error?: string; durationMs: number }

interface EventState {
  event: FlowEventTable;
  started: number;
  payload: unknown;
  /** The event with `_steps.<action name>`: what later actions map from. */
  source: unknown;
  outputs: Record<string, unknown>;
  steps: Step[];
  error?: Error;
  skipped?: boolean;
}

/**
 * Runs a group of a flow's events through its conditions and actions, action by action. Where an
 * action has a batch form and several events reach it, they go in one call per batch; otherwise
 * each event's call is made at once (the connection's limiter bounds them). Each event keeps its
 * own result: one bad record fails (and retries or dead-letters) alone.
 */
export async function runEvents(ctx: HubContext, flow: RunnableFlow, events: FlowEventTable[], observer: RunObserver): Promise<Outcome[]> {
  const states = events.map((event): EventState => {
    const payload = JSON.parse(event.payload) as unknown;
    const outputs: Record<string, unknown> = {};
    const source = payload !== null && typeof payload === 'object' && !Array.isArray(payload) ? { ...(payload as object), _steps: outputs } : payload;
    return { event, started: ctx.now(), payload, source, outputs, steps: [] };
  });
  for (const state of states) await checkConditions(flow, state);
  for (const action of flow.definition.actions) {
    const alive = states.filter((s) => !s.error && !s.skipped);
    if (!alive.length) break;
    await runAction(ctx, flow, action, alive, observer);
  }
  return states.map((state) => outcomeOf(ctx, flow, state));
}

async function checkConditions(flow: RunnableFlow, state: EventState): Promise<void> {
  try {
    for (const condition of flow.definition.conditions) {
      if (!(await expression(condition).evaluate(state.payload))) {
        state.skipped = true;
        state.steps.push({ action: 'conditions', status: 'skipped', output: `condition not met: ${condition}`, durationMs: 0 });
        return;
      }
    }
  } catch (error) {
    state.error = error as Error;
    state.steps.push({ action: 'conditions', status: 'failed', error: (error as Error).message, durationMs: 0 });
  }
}

/** The events an action's `when:` lets through; the others record the action as skipped and go on to the next one. */
async function passingWhen(action: FlowAction, states: EventState[]): Promise<EventState[]> {
  if (!action.when) return states;
  const condition = expression(action.when);
  const passing: EventState[] = [];
  for (const state of states) {
    try {
      if (await condition.evaluate(state.source)) passing.push(state);
      else state.steps.push({ action: action.name, status: 'skipped', output: `when not met: ${action.when}`, durationMs: 0 });
    } catch (error) {
      fail(state, action, undefined, error as Error, 0);
    }
  }
  return passing;
}

async function runAction(ctx: HubContext, flow: RunnableFlow, action: FlowAction, all: EventState[], observer: RunObserver): Promise<void> {
  const kind = actionKind(action);
  const states = await passingWhen(action, all);
  const t = ctx.now();
  // In the events' order: a batch call's order is the queue's order.
  const prepared = (await Promise.all(states.map(async (state) => {
    try {
      const input = await kind.prepare(ctx, action, state.source);
      return { state, item: { input, idempotencyKey: `${flow.id}:${state.event.dedupe_key}:${action.name}`, runAs: flow.savedBy ?? undefined } as ActionItem };
    } catch (error) {
      state.error = error as Error;
      state.steps.push({ action: action.name, status: 'failed', error: (error as Error).message, durationMs: ctx.now() - t });
      return undefined;
    }
  }))).filter((p) => p !== undefined);
  if (!prepared.length) return;
  let target = 'unknown';
  let limit: number | undefined;
  try {
    target = await kind.target(ctx, action);
    limit = prepared.length > 1 && kind.runBatch ? await kind.batchLimit?.(ctx, action) : undefined;
  } catch (error) {
    for (const p of prepared) fail(p.state, action, p.item.input, error as Error, ctx.now() - t);
    return;
  }
  const settle = (p: (typeof prepared)[number], result: ItemResult, ms: number) => {
    if (result.ok) {
      p.state.outputs[action.name] = result.output;
      p.state.steps.push({ action: action.name, status: 'success', input: p.item.input, output: result.output, durationMs: ms });
    } else fail(p.state, action, p.item.input, result.error, ms);
  };
  const call = async (group: typeof prepared) => {
    const started = ctx.now();
    let results: ItemResult[];
    try {
      results = group.length > 1 && limit
        ? await kind.runBatch!(ctx, action, group.map((p) => p.item))
        : [{ ok: true, output: await kind.run(ctx, action, group[0]!.item) }];
    } catch (error) {
      results = group.map(() => ({ ok: false, error: error as Error }));
    }
    const ms = ctx.now() - started;
    observer.actionCall(flow, action, target, ms / 1000, group.length);
    group.forEach((p, i) => settle(p, results[i]!, ms));
  };
  const groups: (typeof prepared)[] = [];
  if (limit && limit > 1) for (let i = 0; i < prepared.length; i += limit) groups.push(prepared.slice(i, i + limit));
  else for (const p of prepared) groups.push([p]);
  await Promise.all(groups.map(call));
}

function fail(state: EventState, action: FlowAction, input: unknown, error: Error, ms: number): void {
  state.error = error;
  state.steps.push({ action: action.name, status: 'failed', input, error: error.message, durationMs: ms });
}

function outcomeOf(ctx: HubContext, flow: RunnableFlow, state: EventState): Outcome {
  const { retry } = flow.definition;
  const attempt = state.event.attempts + 1;
  const failure = state.error;
  const retryable = failure !== undefined && (failure instanceof RetryableError || !(failure instanceof PermanentError || failure instanceof MappingError));
  const outcome = failure === undefined ? (state.skipped ? 'skipped' : 'done') : retryable && attempt < retry.attempts ? 'retry' : 'dead';
  const now = ctx.now();
  const backoff = () => {
    const initial = durationMs(retry.initialDelay);
    const ceiling = Math.min(durationMs(retry.maxDelay), initial * 2 ** (attempt - 1));
    const retryAfter = failure instanceof RetryableError ? failure.retryAfterMs ?? 0 : 0;
    return Math.max(retryAfter, Math.round(ceiling * (0.5 + Math.random() * 0.5)));
  };
  const error = failure?.message ?? null;
  return {
    eventId: state.event.id,
    event: { status: outcome === 'retry' ? 'pending' : outcome === 'dead' ? 'dead' : 'done', attempts: attempt, next_attempt_at: outcome === 'retry' ? now + backoff() : now, last_error: error, updated_at: now },
    // Time-ordered, like event ids: runs are written at the end of their index, never in the middle.
    run: { id: uuidv7(), flow_id: flow.id, event_id: state.event.id, status: outcome === 'done' ? 'success' : outcome === 'skipped' ? 'skipped' : outcome === 'retry' ? 'failed' : 'dead', attempt, steps: JSON.stringify(state.steps), error, started_at: state.started, duration_ms: now - state.started },
  };
}
