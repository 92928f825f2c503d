import { createReadStream, createWriteStream, mkdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Transform, type Readable } from 'node:stream';
import { createHash } from 'node:crypto';

export class BlobTooLargeError extends Error {
  constructor(readonly limit: number) {
    super(`the file is larger than the limit of ${limit} bytes`);
  }
}

export interface StoredBlob { key: string; size: number; sha1: string }

/**
 * File bytes live outside the database, one file per version under `<data>/blobs`, written to a
 * temporary name and renamed when complete, so a row never points at half a file.
 */
export class BlobStore {
  constructor(private readonly dir: string, readonly maxBytes: number) {
    mkdirSync(join(dir, 'tmp'), { recursive: true });
  }

  async write(source: Readable): Promise<StoredBlob> {
    const key = randomUUID();
    const temp = join(this.dir, 'tmp', key);
    const hash = createHash('sha1');
    let size = 0;
    const limit = this.maxBytes;
    const meter = new Transform({
      transform(chunk: Buffer, _encoding, done) {
        size += chunk.length;
        if (size > limit) return done(new BlobTooLargeError(limit));
        hash.update(chunk);
        done(null, chunk);
      },
    });
    try {
      await pipeline(source, meter, createWriteStream(temp));
    } catch (error) {
      rmSync(temp, { force: true });
      throw error;
    }
    renameSync(temp, this.path(key));
    return { key, size, sha1: hash.digest('hex') };
  }

  read(key: string): Readable {
    return createReadStream(this.path(key));
  }

  size(key: string): number {
    return statSync(this.path(key)).size;
  }

  remove(key: string): void {
    rmSync(this.path(key), { force: true });
  }

  private path(key: string): string {
    if (!/^[0-9a-f-]{36}$/.test(key)) throw new Error('invalid blob key');
    return join(this.dir, key);
  }
}
