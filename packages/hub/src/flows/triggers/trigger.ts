/** One change a trigger found: its dedupe key, the record it is a version of (for ordering), and its payload. */
export interface TriggerEvent { dedupeKey: string; recordKey?: string | undefined; payload: unknown }

/** What a trigger keeps between polls (a streaming subscription): closed when the trigger changes, the flow pauses or the hub stops. */
export interface TriggerSession { close(): Promise<void> }

/** What a poll may ask of the engine: who the flow runs as, and which of its dedupe keys are already queued. */
export interface PollScope {
  runAs?: string | undefined;
  known(dedupeKeys: string[]): Promise<Set<string>>;
  /** The session this lane keeps for its trigger, made by `open` on first use. */
  session<S extends TriggerSession>(open: () => S): S;
  /** Tells the operator something the trigger did on its own account (logged, and shown on the flow). */
  notice(message: string): void;
}

/** What a trigger found in one poll: new events (each with its dedupe key) and the cursor after them. */
export interface PollResult {
  events: TriggerEvent[];
  cursor: string;
  /** More is waiting right now (poll again without waiting for the interval). */
  more: boolean;
}
