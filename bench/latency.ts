import type { IncomingMessage, Server, ServerResponse } from 'node:http';

/**
 * Network latency for the benchmarks: every request a server receives waits `delayMs()` before it
 * is handled, as if it had crossed a real network (50–300 ms to a cloud API). The body waits
 * unread in the socket meanwhile, as it would in flight.
 */
export function addLatency(server: Server, delayMs: () => number): void {
  const handlers = server.listeners('request') as ((req: IncomingMessage, res: ServerResponse) => void)[];
  server.removeAllListeners('request');
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const ms = delayMs();
    const handle = () => { for (const handler of handlers) handler.call(server, req, res); };
    if (ms > 0) setTimeout(handle, ms);
    else handle();
  });
}
