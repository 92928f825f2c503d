import type { z } from 'zod';
import { invalid, Problem, zodIssues } from '../problem.js';

/** Parses a request body, or a 400 naming every field that is wrong. */
export function parse<T>(schema: z.ZodType<T>, body: unknown): T {
  const result = schema.safeParse(body);
  if (result.success) return result.data;
  throw invalid(zodIssues(result.error));
}

export async function conflictIfTaken(query: { executeTakeFirst(): Promise<unknown> }, name: string): Promise<void> {
  if (await query.executeTakeFirst()) throw new Problem(409, 'Conflict', `the name "${name}" is already used`, [{ path: 'name', message: 'is already used' }]);
}
