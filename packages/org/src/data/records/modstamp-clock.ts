/**
 * SystemModstamp values: millisecond UTC timestamps that never repeat or go backwards within the
 * process, so a poller that keeps `> last seen` misses nothing and sees nothing twice.
 */
export class ModstampClock {
  private last = 0;

  constructor(private readonly now: () => number) {}

  next(): string {
    const t = Math.max(this.now(), this.last + 1);
    this.last = t;
    return new Date(t).toISOString();
  }

  /** Start after the newest stamp already stored (a restart within the same millisecond). */
  seed(iso: string | null | undefined): void {
    if (iso) this.last = Math.max(this.last, Date.parse(iso));
  }
}
