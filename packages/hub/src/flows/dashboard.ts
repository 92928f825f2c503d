import type { HubContext } from '../context.js';
import { apiUsageShare } from './calls/clients.js';
import { flowActivity } from './activity.js';
import { listFlows } from './flows.js';
import { flowStats } from './runs.js';

/** The console's dashboard: the last hour of token requests and runs, each flow's backlog and lag, API usage. */
export async function dashboard(ctx: HubContext, minutes = 60) {
  const now = ctx.now();
  const flows = await listFlows(ctx);
  const stats = await Promise.all(flows.map((f) => flowStats(ctx, f.id)));
  const connections = await ctx.db.selectFrom('connections').select('name').where('app', '=', 'salesforce').orderBy('name').execute();
  return {
    minutes,
    tokenRequests: ctx.metrics.tokenRequestsPerMinute.series(now, minutes).map((s) => ({ connection: s.key, points: s.points.map((p) => ({ at: p.at, success: p.counts.success ?? 0, failure: p.counts.failure ?? 0 })) })),
    runs: await flowActivity(ctx, minutes),
    flows: stats.map((s) => ({ flow: s.flow, status: s.status, backlog: s.backlog, lagMs: s.lagMs })),
    apiUsage: connections.map((c) => ({ connection: c.name, share: apiUsageShare(ctx, c.name) })).filter((u) => u.share > 0),
  };
}
