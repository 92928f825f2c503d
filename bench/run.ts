// `npm run bench`: every benchmark, each compared with a baseline measured in the same run.
import { benchOAuthTokens } from './oauth-tokens.js';
import { benchDataApi } from './data-api.js';
import { benchFlows } from './flows.js';

const log = (line: string) => console.log(`[bench] ${line}`);

log('OAuth client credentials tokens/s: org vs node-oidc-provider, servers pinned to one core');
const tokens = await benchOAuthTokens(log);
const rows = [
  ['benchmark', 'Handshake org', 'baseline', 'ratio', 'target'],
  [`client credentials tokens/s, 50 connections, 1 core (median of ${tokens.rounds} rounds)`, `${tokens.org.requestsPerSecond.toFixed(0)} /s, p99 ${tokens.org.p99} ms (median p99 ${tokens.orgP99Median} ms)`, `oidc-provider ${tokens.baseline.requestsPerSecond.toFixed(0)} /s, p99 ${tokens.baseline.p99} ms`, `${tokens.ratio.toFixed(2)}×`, '≥ 2.5×, p99 ≤ 10 ms'],
];
const failures = [tokens.org, tokens.baseline].filter((r) => r.errors > 0 || r.non2xx > 0);
if (failures.length) console.log(`\nWARNING: ${failures.map((f) => `${f.name}: ${f.errors} errors, ${f.non2xx} non-2xx`).join('; ')}`);
const targets: [string, boolean][] = [['OAuth tokens', tokens.ratio >= 2.5 && tokens.orgP99Median <= 10]];

log(`REST data API with FLS and sharing on, ${Number(process.env.BENCH_DATA_ROWS ?? 1_000_000).toLocaleString('en')} accounts in the store, against a bare node:http server`);
const data = await benchDataApi(log);
const fmt = (n: number) => n.toFixed(0).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
rows.push(
  ['(a) authenticated single-record GETs/s, 50 connections, 1 core', `${fmt(data.get.org)} /s, p99 ${data.get.p99} ms`, `node:http ${fmt(data.get.ceiling)} /s`, `${(data.get.ratio * 100).toFixed(0)}%`, '≥ 35% of the ceiling'],
  ['(b) records/s inserted through composite/sobjects (200 per call)', `${fmt(data.insert.recordsPerSecond)} /s`, `node:http ${fmt(data.insert.ceilingRecordsPerSecond)} /s`, `${((data.insert.recordsPerSecond / data.insert.ceilingRecordsPerSecond) * 100).toFixed(1)}%`, '≥ 20,000 /s'],
  ['(c) records/s read through paginated SOQL (2,000 a page)', `${fmt(data.query.recordsPerSecond)} /s`, `node:http ${fmt(data.query.ceilingRecordsPerSecond)} /s`, `${((data.query.recordsPerSecond / data.query.ceilingRecordsPerSecond) * 100).toFixed(0)}%`, '≥ 50,000 /s'],
  [`indexed SOQL filter, median latency at 10,000 vs ${fmt(data.rows)} rows`, `${data.indexedLatency.large.toFixed(2)} ms`, `${data.indexedLatency.small.toFixed(2)} ms at 10,000 rows`, `${data.indexedLatency.ratio.toFixed(2)}×`, 'does not grow with the table'],
);
targets.push(['(a) GETs', data.get.ratio >= 0.35], ['(b) inserts', data.insert.recordsPerSecond >= 20_000], ['(c) query', data.query.recordsPerSecond >= 50_000], ['indexed latency', data.indexedLatency.ratio <= 1.5]);

log(`Flows: a backfill of ${Number(process.env.BENCH_FLOW_RECORDS ?? 100_000).toLocaleString('en')} orders from the org to the ERP through the hub, against a hand-written script`);
const flows = await benchFlows(log);
rows.push(
  [`flows: backfill of ${fmt(flows.records)} orders org → ERP (records/s)`, `hub ${fmt(flows.hub)} /s`, `hand-written script ${fmt(flows.ceiling)} /s`, `${(flows.ratio * 100).toFixed(0)}%`, '≥ 70% of the script'],
  ['flows: CPU per record (hub process vs script)', `hub ${flows.hubCpuMsPerRecord.toFixed(2)} ms`, `script ${flows.ceilingCpuMsPerRecord.toFixed(2)} ms`, '', ''],
  [`flows: hub peak RSS over the backfill`, `${flows.peakRssMb.toFixed(0)} MB`, '', '', '< 300 MB (for 1,000,000 records)'],
  ['flows: trigger latency, change made → target written (poll interval 1 s)', `p50 ${flows.latencyP50.toFixed(0)} ms, p90 ${flows.latencyP90.toFixed(0)} ms`, '', '', 'p50 ≤ 1,250 ms'],
);
targets.push(['flows throughput', flows.ratio >= 0.7], ['flows RSS', flows.peakRssMb < 300], ['trigger latency', flows.latencyP50 <= 1250]);

console.log('\n' + rows.map((r) => `| ${r.join(' | ')} |`).join('\n'));
console.log(`\nTargets: ${targets.map(([name, met]) => `${name} ${met ? 'met' : 'NOT met'}`).join('; ')}.`);
