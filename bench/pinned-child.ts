import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

/** A benchmark server in its own process, pinned to one core, talking in JSON lines. */
export interface PinnedChild { process: ChildProcess; next(): Promise<Record<string, unknown>>; send(line: string): void }

export function startPinned(core: number, args: string[], env: NodeJS.ProcessEnv = process.env): PinnedChild {
  const child = spawn('taskset', ['-c', String(core), process.execPath, ...args], { cwd: ROOT, stdio: ['pipe', 'pipe', 'inherit'], env });
  const lines: string[] = [];
  const waiting: ((line: string) => void)[] = [];
  let buffer = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    buffer += chunk.toString();
    let i;
    while ((i = buffer.indexOf('\n')) >= 0) {
      const line = buffer.slice(0, i);
      buffer = buffer.slice(i + 1);
      // Only JSON lines are messages; anything else a server prints (warnings) is not.
      if (!line.startsWith('{')) { if (process.env.BENCH_CHILD_ECHO) process.stderr.write(line + '\n'); continue; }
      const w = waiting.shift();
      if (w) w(line);
      else lines.push(line);
    }
  });
  return {
    process: child,
    next: () => new Promise((resolve) => {
      const line = lines.shift();
      if (line !== undefined) resolve(JSON.parse(line));
      else waiting.push((l) => resolve(JSON.parse(l)));
    }),
    send: (line) => child.stdin!.write(`${line}\n`),
  };
}
