import type { Kysely } from 'kysely';
import type { DataService } from '../service.js';
import type { BulkJobTable, OrgDatabase } from '../../store/schema.js';
import { JobFailure, runIngest } from './ingest.js';
import type { JobFiles } from './job-files.js';
import { runBulkQuery } from './query.js';

/**
 * Runs Bulk API 2.0 jobs in the background, one at a time, oldest first. At start it resumes every
 * job a stopped org left UploadComplete or InProgress (ingest jobs continue after their last
 * committed chunk; query jobs run again from the start, their results not yet served).
 */
export class BulkJobRunner {
  private running: Promise<void> | undefined;
  private again = false;
  private stopped = false;

  constructor(private readonly service: DataService, readonly files: JobFiles) {}

  private get db(): Kysely<OrgDatabase> {
    return this.service.orgDb;
  }

  /** Called when a job becomes ready, and at start. */
  wake(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.drain().finally(() => {
      this.running = undefined;
      if (this.again) {
        this.again = false;
        this.wake();
      }
    });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.running;
  }

  /** Resolves once no job is waiting (for tests and benchmarks). */
  async idle(): Promise<void> {
    while (this.running) await this.running;
  }

  private async drain(): Promise<void> {
    let last: string | undefined;
    for (;;) {
      if (this.stopped) return;
      const job = await this.db.selectFrom('bulk_jobs').selectAll().where('state', 'in', ['UploadComplete', 'InProgress']).orderBy('created_at').orderBy('id').executeTakeFirst();
      // A job that comes straight back could not even be marked failed (the store is failing): retry on the next wake.
      if (!job || job.id === last) return;
      last = job.id;
      await this.run(job);
    }
  }

  private async run(job: BulkJobTable): Promise<void> {
    const now = () => this.service.now();
    await this.db.updateTable('bulk_jobs').set({ state: 'InProgress', updated_at: now() }).where('id', '=', job.id).where('state', 'in', ['UploadComplete', 'InProgress']).execute();
    const started = Date.now();
    try {
      const user = await this.db.selectFrom('users').selectAll().where('id', '=', job.created_by).executeTakeFirst();
      if (!user || !user.active) throw new JobFailure('InvalidJob : The user who created the job is no longer active');
      const access = await this.service.accessFor(user);
      if (job.kind === 'ingest' || job.kind === 'batch') {
        const aborted = async () => {
          // Stopping leaves the job InProgress: the next start carries on after its last committed chunk.
          if (this.stopped) throw new Stopped();
          return (await this.db.selectFrom('bulk_jobs').select('state').where('id', '=', job.id).executeTakeFirst())?.state === 'Aborted';
        };
        await runIngest(this.service, this.files, job, access, aborted);
        await this.db.updateTable('bulk_jobs').set({ state: 'JobComplete', updated_at: now() }).where('id', '=', job.id).where('state', '=', 'InProgress').execute();
      } else {
        const rows = await runBulkQuery(this.service, this.files, job, access);
        await this.db.updateTable('bulk_jobs').set({ state: 'JobComplete', records_processed: rows, processing_ms: Date.now() - started, updated_at: now() }).where('id', '=', job.id).where('state', '=', 'InProgress').execute();
      }
    } catch (error) {
      if (error instanceof Stopped) return;
      const message = error instanceof JobFailure ? error.message : `InternalError : ${(error as Error).message}`;
      await this.db.updateTable('bulk_jobs').set({ state: 'Failed', error_message: message, updated_at: now() }).where('id', '=', job.id).where('state', '=', 'InProgress').execute();
    }
  }
}

class Stopped extends Error {}
