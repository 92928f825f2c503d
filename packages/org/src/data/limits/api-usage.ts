import type { Kysely } from 'kysely';
import { ORG_SETTING_DAILY_API_REQUESTS, orgSetting } from '../../org/settings.js';
import type { OrgDatabase } from '../../store/schema.js';

export const DEFAULT_DAILY_API_REQUESTS = 100_000;

/**
 * The org's daily REST request allowance (DailyApiRequests). Counted in memory per UTC day: a
 * restart gives the day's allowance back, which a test org can afford.
 */
export class ApiUsage {
  private day = -1;
  private used = 0;
  max = DEFAULT_DAILY_API_REQUESTS;

  constructor(private readonly now: () => number) {}

  async load(db: Kysely<OrgDatabase>): Promise<void> {
    const value = await orgSetting(db, ORG_SETTING_DAILY_API_REQUESTS);
    this.max = value ? Number(value) : DEFAULT_DAILY_API_REQUESTS;
  }

  /** Counts one request; false when the allowance is already spent. */
  take(): boolean {
    this.roll();
    if (this.used >= this.max) return false;
    this.used++;
    return true;
  }

  current(): { used: number; max: number } {
    this.roll();
    return { used: this.used, max: this.max };
  }

  private roll(): void {
    const day = Math.floor(this.now() / 86_400_000);
    if (day !== this.day) {
      this.day = day;
      this.used = 0;
    }
  }
}
