import type { Command } from 'commander';

export const DEFAULT_HUB_PORT = 7420;

export interface ApiFlags { hub: string; apiKey?: string }

/** The flags of commands that talk to a running hub. */
export const apiFlags = (command: Command) => command
  .option('--hub <url>', 'the hub API base URL (default: $HANDSHAKE_HUB_URL)', process.env.HANDSHAKE_HUB_URL ?? `http://127.0.0.1:${DEFAULT_HUB_PORT}`)
  // No default value here: commander would print it in --help, and it is a secret.
  .option('--api-key <key>', 'an API key with the scope the command needs (default: $HANDSHAKE_API_KEY)');

/** Calls the hub API; problem answers become errors that say what went wrong, and where. */
export async function callApi(flags: ApiFlags, method: string, path: string, body?: { text: string; type: string }): Promise<{ status: number; body: Record<string, unknown> }> {
  const apiKey = flags.apiKey ?? process.env.HANDSHAKE_API_KEY;
  if (!apiKey) throw new Error('An API key is needed: --api-key or HANDSHAKE_API_KEY (create one with `handshake hub api-key create`).');
  const res = await fetch(`${flags.hub.replace(/\/+$/, '')}/api/v1${path}`, {
    method,
    headers: { authorization: `Bearer ${apiKey}`, ...(body ? { 'content-type': body.type } : {}) },
    ...(body ? { body: body.text } : {}),
  }).catch(() => {
    throw new Error(`Cannot reach the hub at ${flags.hub}. Is \`handshake hub serve\` running? Set --hub or HANDSHAKE_HUB_URL.`);
  });
  const text = await res.text();
  const answer = (text ? JSON.parse(text) : {}) as Record<string, unknown>;
  if (res.status >= 400 && res.status !== 502) {
    const errors = (answer.errors as { path: string; message: string; line?: number; column?: number }[] | undefined) ?? [];
    throw new Error([`${String(answer.title ?? res.status)}: ${errors.length ? '' : String(answer.detail ?? '')}`.trim(), ...errors.map((e) => `  ${e.line !== undefined ? `${e.line}:${e.column ?? 1} ` : ''}${e.path}: ${e.message}`)].join('\n'));
  }
  return { status: res.status, body: answer };
}
