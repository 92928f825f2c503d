import { appendFileSync, closeSync, createReadStream, existsSync, ftruncateSync, mkdirSync, openSync, rmSync, statSync } from 'node:fs';
import type { Readable } from 'node:stream';
import { join } from 'node:path';

export type ResultFile = 'successfulResults' | 'failedResults' | 'unprocessedrecords' | 'results' | 'offsets';
const NAMES: Record<ResultFile, string> = { successfulResults: 'success.csv', failedResults: 'failed.csv', unprocessedrecords: 'unprocessed.csv', results: 'results.csv', offsets: 'offsets.bin' };

/** Each job's result files, in a folder named by its id (ids are generated here; anything else is refused). */
export class JobFiles {
  constructor(private readonly root: string) {
    mkdirSync(root, { recursive: true });
  }

  path(jobId: string, file: ResultFile): string {
    if (!/^75[01][0-9A-Za-z]{15}$/.test(jobId)) throw new Error('invalid job id');
    return join(this.root, jobId, NAMES[file]);
  }

  append(jobId: string, file: ResultFile, data: string | Buffer): void {
    mkdirSync(join(this.root, jobId.replace(/[^0-9A-Za-z]/g, '')), { recursive: true });
    appendFileSync(this.path(jobId, file), data);
  }

  size(jobId: string, file: ResultFile): number {
    const path = this.path(jobId, file);
    return existsSync(path) ? statSync(path).size : 0;
  }

  /** Cuts a file back to what committed rows wrote: a crash between the append and the commit leaves extra bytes. */
  truncate(jobId: string, file: ResultFile, size: number): void {
    const path = this.path(jobId, file);
    if (!existsSync(path)) return;
    const fd = openSync(path, 'r+');
    try {
      ftruncateSync(fd, size);
    } finally {
      closeSync(fd);
    }
  }

  /** A result file up to the size its committed rows wrote. */
  read(jobId: string, file: ResultFile, size: number): Readable {
    return createReadStream(this.path(jobId, file), { start: 0, end: size - 1 });
  }

  remove(jobId: string): void {
    this.path(jobId, 'results');
    rmSync(join(this.root, jobId), { recursive: true, force: true });
  }
}
