// `npm run bench`: every benchmark, each compared with a baseline measured in the same run.
import { benchOAuthTokens } from './oauth-tokens.js';

const log = (line: string) => console.log(`[bench] ${line}`);

log('OAuth client credentials tokens/s: org vs node-oidc-provider, servers pinned to one core');
const tokens = await benchOAuthTokens(log);
const rows = [
  ['benchmark', 'Handshake org', 'baseline', 'ratio', 'target'],
  [`client credentials tokens/s, 50 connections, 1 core (median of ${tokens.rounds} rounds)`, `${tokens.org.requestsPerSecond.toFixed(0)} /s, p99 ${tokens.org.p99} ms (median p99 ${tokens.orgP99Median} ms)`, `oidc-provider ${tokens.baseline.requestsPerSecond.toFixed(0)} /s, p99 ${tokens.baseline.p99} ms`, `${tokens.ratio.toFixed(2)}×`, '≥ 2.5×, p99 ≤ 10 ms'],
];
console.log('\n' + rows.map((r) => `| ${r.join(' | ')} |`).join('\n'));
const failures = [tokens.org, tokens.baseline].filter((r) => r.errors > 0 || r.non2xx > 0);
if (failures.length) console.log(`\nWARNING: ${failures.map((f) => `${f.name}: ${f.errors} errors, ${f.non2xx} non-2xx`).join('; ')}`);
const met = tokens.ratio >= 2.5 && tokens.orgP99Median <= 10;
console.log(`\nTarget ${met ? 'met' : 'NOT met'}.`);
