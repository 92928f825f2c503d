import { sql } from 'kysely';
import type { HubContext } from '../context.js';
import { RUN_STATUSES } from './runs.js';

const MINUTE = 60_000;

/**
 * Runs per minute over the last `minutes`, per flow and outcome (the console's dashboard), read
 * from the runs the store keeps: one grouped query, counted by the database.
 */
export async function flowActivity(ctx: HubContext, minutes = 60) {
  const now = ctx.now();
  const last = now - (now % MINUTE);
  const from = last - (minutes - 1) * MINUTE;
  // A literal, not a parameter: PostgreSQL matches the GROUP BY expression to the select's only if they are the same text.
  const minute = sql<number>`flow_runs.started_at - (flow_runs.started_at % ${sql.lit(MINUTE)})`;
  const rows = await ctx.db.selectFrom('flow_runs').innerJoin('flows', 'flows.id', 'flow_runs.flow_id')
    .select(['flows.name as flow', 'flow_runs.status', minute.as('minute'), (eb) => eb.fn.countAll<number>().as('n')])
    .where('flow_runs.started_at', '>=', from)
    .groupBy(['flows.name', 'flow_runs.status', minute]).execute();
  const flows = [...new Set(rows.map((r) => r.flow))].sort();
  return flows.map((flow) => ({
    flow,
    points: Array.from({ length: minutes }, (_, i) => {
      const at = from + i * MINUTE;
      const of = (status: string) => Number(rows.find((r) => r.flow === flow && r.status === status && Number(r.minute) === at)?.n ?? 0);
      return { at, ...Object.fromEntries(RUN_STATUSES.map((s) => [s, of(s)])) } as { at: number } & Record<(typeof RUN_STATUSES)[number], number>;
    }),
  }));
}
