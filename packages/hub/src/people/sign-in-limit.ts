/**
 * Password guessing is slowed per username and per address: after 10 failures in 15 minutes, that
 * username (or address) is refused until the window passes. Kept in memory: a restart forgets,
 * which costs an attacker a restart of someone else's hub.
 */
const WINDOW_MS = 15 * 60_000;
const MAX_FAILURES = 10;

export class SignInLimit {
  #failures = new Map<string, number[]>();

  blocked(keys: string[], now: number): boolean {
    return keys.some((key) => this.#recent(key, now).length >= MAX_FAILURES);
  }

  failed(keys: string[], now: number): void {
    for (const key of keys) this.#failures.set(key, [...this.#recent(key, now), now]);
    if (this.#failures.size > 10_000) for (const [key] of this.#failures) if (!this.#recent(key, now).length) this.#failures.delete(key);
  }

  succeeded(keys: string[]): void {
    for (const key of keys) this.#failures.delete(key);
  }

  #recent(key: string, now: number): number[] {
    return (this.#failures.get(key) ?? []).filter((t) => now - t < WINDOW_MS);
  }
}
