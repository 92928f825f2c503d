import { audit } from '../audit/audit-log.js';
import type { HubContext } from '../context.js';
import { runRotation, startRotation, type RotationOptions } from './rotation.js';

/**
 * Runs rotations in this process: on start it resumes every rotation a crash interrupted, then
 * every tick starts the ones whose policy is due. One rotation per connection at a time.
 */
export class RotationScheduler {
  readonly #running = new Map<string, Promise<unknown>>();
  #timer: NodeJS.Timeout | undefined;

  constructor(private readonly ctx: HubContext, private readonly options: RotationOptions & { tickMs?: number } = {}) {}

  async start(): Promise<void> {
    const interrupted = await this.ctx.db.selectFrom('rotations').select(['id', 'connection_id']).where('status', '=', 'running').execute();
    for (const r of interrupted) this.#run(r.connection_id, r.id);
    // A failed tick (the database away for a moment) is recorded and retried on the next one; it must not crash the hub.
    this.#timer = setInterval(() => {
      this.tick().catch((error: unknown) => audit(this.ctx.db, this.ctx.now(), { actor: 'scheduler', action: 'rotation.schedule', targetType: 'hub', outcome: 'failed', detail: (error as Error).message }).catch(() => undefined));
    }, this.options.tickMs ?? 30_000);
    this.#timer.unref();
  }

  async tick(): Promise<void> {
    const due = await this.ctx.db.selectFrom('rotation_policies').select('connection_id').where('next_rotation_at', '<=', this.ctx.now()).execute();
    for (const { connection_id } of due) if (!this.#running.has(connection_id)) await this.rotateNow(connection_id, 'scheduler');
  }

  /**
   * Starts (or joins) the connection's rotation; resolves when it has finished. The rotation is
   * registered before anything is awaited, so two calls at once join one rotation (and the store's
   * one-running-rotation index keeps two processes from starting two).
   */
  rotateNow(connectionId: string, actor: string) {
    const existing = this.#running.get(connectionId);
    if (existing) return existing;
    const started = startRotation(this.ctx, connectionId, actor);
    const run = started.then((row) => this.#run(connectionId, row.id));
    this.#running.set(connectionId, run);
    // A rotation that cannot start (no policy) is the caller's error; the next call tries again.
    started.catch(() => this.#running.delete(connectionId));
    return run;
  }

  /** Never rejects: a rotation that cannot even start (its admin connection deleted, say) is recorded as failed. */
  #run(connectionId: string, rotationId: string) {
    const run = runRotation(this.ctx, rotationId, this.options)
      .catch(async (error: unknown) => {
        const reason = `could not run: ${(error as Error).message}`;
        await this.ctx.db.updateTable('rotations').set({ status: 'failed', error: reason, updated_at: this.ctx.now() }).where('id', '=', rotationId).execute().catch(() => undefined);
        await this.ctx.db.updateTable('rotation_policies').set({ status: 'rotation_failed', status_reason: reason }).where('connection_id', '=', connectionId).execute().catch(() => undefined);
        return { id: rotationId, connection_id: connectionId, status: 'failed', error: reason };
      })
      .finally(() => this.#running.delete(connectionId));
    this.#running.set(connectionId, run);
    return run;
  }

  async stop(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    await Promise.allSettled([...this.#running.values()]);
  }
}
