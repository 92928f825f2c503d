import { randomBytes } from 'node:crypto';

/** What it takes to fetch the next page of a query: kept server-side, named by an opaque locator. */
export interface CursorState {
  userId: string;
  /** Fetches `count` more records, continuing after the previous page. */
  next(count: number): Promise<{ records: unknown[]; exhausted: boolean }>;
  totalSize: number;
  returned: number;
  pageSize: number;
}

const IDLE_MS = 15 * 60 * 1000;
const MAX_OPEN = 10_000;

/**
 * Query cursors, as Salesforce keeps them: a locator like `01gXXXXXXXXXXXXXXX-2000` (no `/`, so
 * jsforce's queryMore can rebuild the URL), valid for 15 minutes of inactivity, only for the user
 * who ran the query. Cursors live in memory: a restart ends them.
 */
export class QueryLocators {
  private readonly open = new Map<string, { state: CursorState; touched: number }>();

  constructor(private readonly now: () => number) {}

  add(state: CursorState): string {
    this.sweep();
    const id = `01g${randomBytes(12).toString('base64url').replace(/[-_]/g, 'x').slice(0, 15)}`;
    this.open.set(id, { state, touched: this.now() });
    return id;
  }

  get(id: string): CursorState | undefined {
    const entry = this.open.get(id);
    if (!entry) return undefined;
    entry.touched = this.now();
    return entry.state;
  }

  close(id: string): void {
    this.open.delete(id);
  }

  private sweep(): void {
    const now = this.now();
    for (const [id, entry] of this.open) if (now - entry.touched > IDLE_MS) this.open.delete(id);
    while (this.open.size >= MAX_OPEN) this.open.delete(this.open.keys().next().value!);
  }
}
