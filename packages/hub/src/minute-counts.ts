/**
 * Counts per minute over the last hour, per key and outcome: what the console's charts draw (token
 * requests per connection). Kept in memory beside the Prometheus counters; a restart starts over.
 */
const MINUTE = 60_000;
const KEEP_MINUTES = 60;

export interface MinutePoint { at: number; counts: Record<string, number> }

export class MinuteCounts {
  readonly #keys = new Map<string, Map<number, Record<string, number>>>();

  add(key: string, outcome: string, now: number): void {
    const minute = now - (now % MINUTE);
    const buckets = this.#keys.get(key) ?? new Map<number, Record<string, number>>();
    this.#keys.set(key, buckets);
    const bucket = buckets.get(minute) ?? {};
    bucket[outcome] = (bucket[outcome] ?? 0) + 1;
    buckets.set(minute, bucket);
    for (const at of buckets.keys()) if (at < minute - KEEP_MINUTES * MINUTE) buckets.delete(at);
  }

  /** Every key's last `minutes` minutes, oldest first, empty minutes included. */
  series(now: number, minutes = KEEP_MINUTES): { key: string; points: MinutePoint[] }[] {
    const last = now - (now % MINUTE);
    return [...this.#keys.entries()].map(([key, buckets]) => ({
      key,
      points: Array.from({ length: minutes }, (_, i) => {
        const at = last - (minutes - 1 - i) * MINUTE;
        return { at, counts: buckets.get(at) ?? {} };
      }),
    }));
  }
}
