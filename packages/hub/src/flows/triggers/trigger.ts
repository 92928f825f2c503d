/** What a trigger found in one poll: new events (each with its dedupe key) and the cursor after them. */
export interface PollResult {
  events: { dedupeKey: string; payload: unknown }[];
  cursor: string;
  /** More is waiting right now (poll again without waiting for the interval). */
  more: boolean;
}
