import { audit } from '../audit/audit-log.js';
import type { HubContext } from '../context.js';
import { runRotation, startRotation, type RotationOptions } from './rotation.js';

/**
 * Runs rotations in this process: on start it resumes every rotation a crash interrupted, then
 * every tick starts the ones whose policy is due. One rotation per connection at a time, across a
 * cluster too: a rotation runs under its connection's exclusive lock, and each tick resumes a running
 * rotation whose process died (its lock is free).
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
    if (this.ctx.work.clustered) {
      const running = await this.ctx.db.selectFrom('rotations').select(['id', 'connection_id']).where('status', '=', 'running').execute();
      for (const r of running) if (!this.#running.has(r.connection_id)) this.#run(r.connection_id, r.id);
    }
    const due = await this.ctx.db.selectFrom('rotation_policies').select('connection_id').where('next_rotation_at', '<=', this.ctx.now()).execute();
    for (const { connection_id: id } of due) {
      if (this.#running.has(id)) continue;
      // Held until the rotation ends and moves the policy's next time on, so that a peer whose tick
      // read the same due list does not start a second one right after.
      await this.ctx.work.exclusive(`rotation-tick:${id}`, async () => {
        const still = await this.ctx.db.selectFrom('rotation_policies').select('connection_id').where('connection_id', '=', id).where('next_rotation_at', '<=', this.ctx.now()).executeTakeFirst();
        if (still) await this.rotateNow(id, 'scheduler');
      });
    }
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
    const run = this.ctx.work.exclusive(`rotation:${connectionId}`, () => runRotation(this.ctx, rotationId, this.options))
      // Another process of the cluster is running it: what it has done so far.
      .then((done) => done ?? this.ctx.db.selectFrom('rotations').selectAll().where('id', '=', rotationId).executeTakeFirstOrThrow())
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
