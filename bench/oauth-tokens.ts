/**
 * Client credentials tokens per second at 50 connections: the org (tokens persisted in SQLite,
 * durable across a restart) against node-oidc-provider (opaque tokens, in memory), each server
 * pinned to core 0 while the load generator runs on core 1. Both are measured in the same run,
 * in alternating rounds; the median round's ratio is what is reported.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const DURATION_S = Number(process.env.BENCH_SECONDS ?? 5);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const CONNECTIONS = 50;

export interface LoadResult { name: string; requestsPerSecond: number; p50: number; p99: number; errors: number; non2xx: number }

function pinned(args: string[]): ChildProcess {
  return spawn('taskset', ['-c', '0', process.execPath, ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
}

/** Resolves with the lines the child printed once `ready` matches one of them. */
function waitFor(child: ChildProcess, ready: RegExp): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (ready.test(out)) resolve(out);
    });
    child.once('exit', (code) => reject(new Error(`server exited (${code}) before it was ready:\n${out}`)));
  });
}

async function load(name: string, url: string, body: string, seconds: number): Promise<LoadResult> {
  const result = await autocannon({ url, method: 'POST', connections: CONNECTIONS, duration: seconds, headers: { 'content-type': 'application/x-www-form-urlencoded' }, body });
  return { name, requestsPerSecond: result.requests.average, p50: result.latency.p50, p99: result.latency.p99, errors: result.errors, non2xx: result.non2xx };
}

const medianOf = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

export async function benchOAuthTokens(log: (line: string) => void): Promise<{ org: LoadResult; baseline: LoadResult; ratio: number; orgP99Median: number; rounds: number }> {
  const data = mkdtempSync(join(tmpdir(), 'hs-bench-org-'));
  const org = pinned(['packages/cli/dist/main.js', 'org', 'serve', '--data', data, '--port', '0', '--log-level', 'error', '--token-limit-per-address', '100000000', '--token-limit-per-client', '100000000']);
  const baseline = pinned(['--import', 'tsx', 'bench/oidc-provider-server.ts', '0']);
  try {
    const banner = await waitFor(org, /Press Ctrl\+C/);
    const instanceUrl = /Instance URL \(My Domain\): (\S+)/.exec(banner)![1]!;
    const key = /Consumer key:\s+(\S+)/.exec(banner)![1]!;
    const secret = /Consumer secret:\s+(\S+)/.exec(banner)![1]!;
    const oidcPort = /LISTENING (\d+)/.exec(await waitFor(baseline, /LISTENING \d+/))![1]!;
    const orgTarget = { url: `${instanceUrl}/services/oauth2/token`, body: new URLSearchParams({ grant_type: 'client_credentials', client_id: key, client_secret: secret }).toString() };
    const oidcTarget = { url: `http://127.0.0.1:${oidcPort}/token`, body: new URLSearchParams({ grant_type: 'client_credentials', client_id: 'bench', client_secret: 'bench-secret-0123456789abcdef0123456789', scope: 'api' }).toString() };

    log(`warming up both servers (3 s each)`);
    await load('org', orgTarget.url, orgTarget.body, 3);
    await load('oidc-provider', oidcTarget.url, oidcTarget.body, 3);
    const runs: { org: LoadResult; baseline: LoadResult; ratio: number }[] = [];
    for (let round = 1; round <= ROUNDS; round++) {
      // Alternate which server goes first, so drift in the machine's speed favours neither.
      const first = round % 2 === 1;
      const o1 = first ? await load('org', orgTarget.url, orgTarget.body, DURATION_S) : undefined;
      const b = await load('oidc-provider', oidcTarget.url, oidcTarget.body, DURATION_S);
      const o = o1 ?? (await load('org', orgTarget.url, orgTarget.body, DURATION_S));
      const ratio = o.requestsPerSecond / b.requestsPerSecond;
      log(`round ${round}/${ROUNDS}: org ${o.requestsPerSecond.toFixed(0)} tokens/s (p99 ${o.p99} ms), oidc-provider ${b.requestsPerSecond.toFixed(0)} tokens/s (p99 ${b.p99} ms), ratio ${ratio.toFixed(2)}`);
      runs.push({ org: o, baseline: b, ratio });
    }
    // The median round by ratio: robust to a round that a noisy neighbour slowed down.
    const median = [...runs].sort((a, b) => a.ratio - b.ratio)[Math.floor(runs.length / 2)]!;
    return { ...median, orgP99Median: medianOf(runs.map((r) => r.org.p99)), rounds: runs.length };
  } finally {
    org.kill('SIGTERM');
    baseline.kill('SIGTERM');
  }
}
