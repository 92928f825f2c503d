import type { HubContext } from '../../context.js';
import type { FlowAction } from '../definition.js';

/** What one event gets from a batch call: its own output, or its own failure. */
export type ItemResult = { ok: true; output: unknown } | { ok: false; error: Error };

/** One event's part of an action: the action's input for it and its idempotency key. */
export interface ActionItem { input: unknown; idempotencyKey: string }

/**
 * A kind of action, declared once and registered in `registry.ts` (as node-oidc-provider keeps one
 * file per grant): how it maps an event into its input, runs one event, and, where the target has a
 * batch form, many events in one call with a result per event.
 */
export interface ActionKind<A extends FlowAction = FlowAction> {
  /** Maps one event (with earlier steps' outputs) into the action's input; a MappingError fails that event alone. */
  prepare(ctx: HubContext, action: A, source: unknown): Promise<unknown>;
  run(ctx: HubContext, action: A, item: ActionItem): Promise<unknown>;
  /** How many events one batch call may carry (undefined: no batch form for this action). */
  batchLimit?(ctx: HubContext, action: A): Promise<number | undefined>;
  /** Runs many events in one call; one result per item, in order. */
  runBatch?(ctx: HubContext, action: A, items: ActionItem[]): Promise<ItemResult[]>;
  /** The connection (`connection:NAME`) or named credential (`named:NAME`) its calls go through, for metrics and limits. */
  target(ctx: HubContext, action: A): Promise<string>;
  /** Why running it twice (after a crash) may write twice, or undefined when it is idempotent. */
  notIdempotent(action: A): string | undefined;
}

/** Declares an action kind with its action type narrowed (Activepieces' `createAction`). */
export function createAction<T extends FlowAction['type']>(kind: ActionKind<Extract<FlowAction, { type: T }>>): ActionKind<Extract<FlowAction, { type: T }>> {
  return kind;
}
