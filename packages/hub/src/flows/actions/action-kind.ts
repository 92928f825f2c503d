import type { HubContext } from '../../context.js';
import type { FieldMapping, FlowAction } from '../definition.js';
import type { Describe } from './salesforce-fields.js';

/** What a kind's save-time checks can ask, and where they report (each problem at its path in the document). */
export interface SaveCheck {
  ctx: HubContext;
  /** The API key saving the flow (undefined: the hub's operator): the flow will run as it. */
  runAs: string | undefined;
  /** Whether `runAs` may use the named credential (if not, the problem is reported at `path`). */
  namedCredential(path: PropertyKey[], name: string): Promise<boolean>;
  problem(path: PropertyKey[], message: string): void;
  /** Whether the name is a Salesforce connection (if not, the problem is reported at `path`). */
  salesforceConnection(path: PropertyKey[], name: string): Promise<boolean>;
  /** The object's describe through the connection (its user's view), or why there is none. */
  describe(connection: string, object: string): Promise<Describe | string>;
  /** Reports an expression that does not parse. */
  expression(path: PropertyKey[], text: string): void;
  /** Reports every expression of a mapping that does not parse. */
  mapping(path: PropertyKey[], mapping: Record<string, FieldMapping>): void;
}

/** What one event gets from a batch call: its own output, or its own failure. */
export type ItemResult = { ok: true; output: unknown } | { ok: false; error: Error };

/** One event's part of an action: the action's input for it, its idempotency key, and the API key the flow runs as. */
export interface ActionItem { input: unknown; idempotencyKey: string; runAs?: string | undefined }

/**
 * A kind of action, declared once and registered in `registry.ts` (as node-oidc-provider keeps one
 * file per grant): its save-time checks, how it maps an event into its input, runs one event, and,
 * where the target has a batch form, many events in one call with a result per event. Its schema
 * sits beside it in the same file and in the registry.
 */
export interface ActionKind<A extends FlowAction = FlowAction> {
  /** The checks made when a flow is saved, against what the action names (connection, object, fields, operation). */
  check(v: SaveCheck, action: A, at: PropertyKey[]): Promise<void>;
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
