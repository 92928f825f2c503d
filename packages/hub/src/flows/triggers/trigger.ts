/** One change a trigger found: its dedupe key, the record it is a version of (for ordering), and its payload. */
export interface TriggerEvent { dedupeKey: string; recordKey?: string | undefined; payload: unknown }

/** What a poll may ask of the engine: who the flow runs as, and which of its dedupe keys are already queued. */
export interface PollScope {
  runAs?: string | undefined;
  known(dedupeKeys: string[]): Promise<Set<string>>;
}

/** What a trigger found in one poll: new events (each with its dedupe key) and the cursor after them. */
export interface PollResult {
  events: TriggerEvent[];
  cursor: string;
  /** More is waiting right now (poll again without waiting for the interval). */
  more: boolean;
}
