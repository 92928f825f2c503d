import type { HubContext } from '../context.js';

export interface Usage { type: string; id: string; name: string }

/** Records that a consumer (a flow) uses a connection; idempotent. Flows call this when saved. */
export async function registerUsage(ctx: HubContext, connectionId: string, usage: Usage): Promise<void> {
  await ctx.db.insertInto('connection_usages')
    .values({ connection_id: connectionId, consumer_type: usage.type, consumer_id: usage.id, consumer_name: usage.name, created_at: ctx.now() })
    .onConflict((oc) => oc.columns(['connection_id', 'consumer_type', 'consumer_id']).doUpdateSet({ consumer_name: usage.name }))
    .execute();
}

export async function unregisterUsage(ctx: HubContext, connectionId: string, usage: Pick<Usage, 'type' | 'id'>): Promise<void> {
  await ctx.db.deleteFrom('connection_usages').where('connection_id', '=', connectionId).where('consumer_type', '=', usage.type).where('consumer_id', '=', usage.id).execute();
}

export async function listUsages(ctx: HubContext, connectionId: string): Promise<Usage[]> {
  return (await ctx.db.selectFrom('connection_usages').selectAll().where('connection_id', '=', connectionId).orderBy('consumer_name').execute())
    .map((u) => ({ type: u.consumer_type, id: u.consumer_id, name: u.consumer_name }));
}
