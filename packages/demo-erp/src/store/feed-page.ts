import { ErpProblem } from '../problem.js';

/** A page of a change feed: the items, the cursor after the last one, and whether more are waiting. */
export interface FeedPage<T> { items: T[]; nextCursor: string | null; hasMore: boolean }

/** The position a feed cursor stands for (opaque to callers: base64url of `seq:N`). */
export function cursorPosition(cursor: string): number {
  const decoded = /^seq:(\d{1,15})$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  if (!decoded) throw new ErpProblem(400, 'Bad Request', 'cursor is not a cursor this feed returned');
  return Number(decoded[1]);
}

/** A page from rows read with `limit + 1` (the extra one says whether more are waiting), in feed order. */
export function feedPage<R extends { seq: number }, T>(rows: R[], limit: number, cursor: string | undefined, toItem: (row: R) => T): FeedPage<T> {
  const page = rows.slice(0, limit);
  const last = page[page.length - 1];
  return {
    items: page.map(toItem),
    nextCursor: last ? Buffer.from(`seq:${last.seq}`).toString('base64url') : cursor ?? null,
    hasMore: rows.length > limit,
  };
}
