import { randomBytes } from 'node:crypto';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { fileBytes } from './file-bytes.js';

export interface Attachment { instanceUrl: string; token: string; fields: Record<string, string>; size: number }

/** A ContentVersion insert as Salesforce takes it (multipart), the file's bytes (file-bytes.ts) streamed, never held whole. */
export async function attachFile({ instanceUrl, token, fields, size }: Attachment): Promise<string> {
  const boundary = `test${randomBytes(8).toString('hex')}`;
  const body = (async function* () {
    yield Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="entity_content"\r\nContent-Type: application/json\r\n\r\n${JSON.stringify(fields)}\r\n`);
    yield Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="VersionData"; filename="${fields.PathOnClient}"\r\nContent-Type: application/octet-stream\r\n\r\n`);
    // A copy of each block: fileBytes refills one buffer, and the stream may hold a chunk while the next is made.
    for (const block of fileBytes(size)) yield Buffer.from(block);
    yield Buffer.from(`\r\n--${boundary}--\r\n`);
  })();
  const res = await fetch(`${instanceUrl}/services/data/v62.0/sobjects/ContentVersion`, {
    method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': `multipart/form-data; boundary=${boundary}` }, body: ReadableStream.from(body), duplex: 'half',
  } as RequestInit);
  if (res.status !== 201) throw new Error(`the org answered ${res.status}: ${await res.text()}`);
  return ((await res.json()) as { id: string }).id;
}

/**
 * The same from another process, so that the memory a test measures in its own process is the
 * servers', not the uploading client's (whose copies are garbage until the next collection).
 */
export function attachFileFromAnotherProcess(attachment: Attachment): Promise<string> {
  const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url)], { stdio: ['pipe', 'pipe', 'inherit'] });
  child.stdin.end(JSON.stringify(attachment));
  let out = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  return new Promise((resolve, reject) => child.once('exit', (code) => (code === 0 ? resolve(out.trim()) : reject(new Error(`the uploading process exited with ${code}`)))));
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  let input = '';
  process.stdin.on('data', (chunk: Buffer) => (input += chunk.toString()));
  process.stdin.on('end', () => {
    attachFile(JSON.parse(input) as Attachment).then((id) => process.stdout.write(`${id}\n`), (error: unknown) => {
      console.error(error);
      process.exit(1);
    });
  });
}
