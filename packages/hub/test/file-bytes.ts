import { createHash } from 'node:crypto';

export const MB = 1024 * 1024;

/** The bytes of a test file of `size`: made on the fly, 64 KiB at a time, never held whole. */
export function* fileBytes(size: number): Generator<Buffer> {
  const block = Buffer.alloc(64 * 1024);
  for (let at = 0; at < size; at += block.length) {
    block.fill(at % 251);
    yield at + block.length <= size ? block : block.subarray(0, size - at);
  }
}

export const digestOf = (size: number) => {
  const hash = createHash('sha256');
  for (const chunk of fileBytes(size)) hash.update(chunk);
  return hash.digest('hex');
};
