/**
 * Crash injection for tests: HANDSHAKE_FAILPOINTS="rotation:after:stage,…" kills the process
 * (SIGKILL, no cleanup) when it reaches a named point. Unset in production, it does nothing.
 */
export function failpoint(name: string): void {
  const points = process.env.HANDSHAKE_FAILPOINTS;
  if (points && points.split(',').includes(name)) process.kill(process.pid, 'SIGKILL');
}
