// `npm run bench`: every benchmark, each compared with a baseline measured in the same run.
import { benchOAuthTokens } from './oauth-tokens.js';
import { benchDataApi } from './data-api.js';
import { benchFlows } from './flows.js';
import { benchConsole } from './console.js';
import { benchBulk } from './bulk.js';
import { benchCdc } from './cdc.js';
import { benchCluster } from './cluster.js';
import { benchFiles } from './files.js';

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

log('Bulk API 2.0 against the REST calls it replaces (composite/sobjects, paginated SOQL), same org, same run');
const bulk = await benchBulk(log);
rows.push(
  [`Bulk API 2.0 ingest, ${fmt(bulk.rows)} accounts in one job (upload to JobComplete)`, `${fmt(bulk.ingest.recordsPerSecond)} /s`, `composite/sobjects, 200 a call, 4 in flight: ${fmt(bulk.ingest.baselineRecordsPerSecond)} /s`, `${bulk.ingest.ratio.toFixed(2)}×`, '≥ 50,000 /s'],
  [`Bulk API 2.0 query, every account (job to the last CSV byte)`, `${fmt(bulk.query.recordsPerSecond)} /s`, `paginated SOQL: ${fmt(bulk.query.baselineRecordsPerSecond)} /s`, `${bulk.query.ratio.toFixed(2)}×`, '≥ 100,000 /s'],
);
targets.push(['bulk ingest', bulk.ingest.recordsPerSecond >= 50_000], ['bulk query', bulk.query.recordsPerSecond >= 100_000]);

log('Change Data Capture: commit → a jsforce subscriber, while accounts are written');
const cdc = await benchCdc(log);
rows.push([`CDC latency, commit → subscriber, ${fmt(cdc.rate)} writes/s (${fmt(cdc.events)} events)`, `p50 ${cdc.p50} ms, p99 ${cdc.p99} ms, max ${cdc.max} ms`, 'polling every second: 500 ms on average', '', 'p99 ≤ 50 ms']);
targets.push(['CDC latency', cdc.p99 <= 50]);

log(`Flows: the seed's order flow org → ERP through the hub, against a script with 10 requests in flight, ${Number(process.env.BENCH_LATENCY_MS ?? 50)} ms added to every request`);
const flows = await benchFlows(log);
const pct = (r: number) => `${(r * 100).toFixed(0)}%`;
rows.push(
  [`(a) flows, one event per call, concurrency 10, ${flows.latencyMs} ms latency (${fmt(flows.records.perRecord)} orders)`, `hub ${fmt(flows.hubPerRecord.recordsPerSecond)} /s`, `script, 10 in flight: ${fmt(flows.script.recordsPerSecond)} /s`, pct(flows.ratios.a), '≥ 90%'],
  [`(b) flows with batching, ${flows.latencyMs} ms latency (${fmt(flows.records.batched)} orders)`, `hub ${fmt(flows.hubBatched.recordsPerSecond)} /s`, `the same script: ${fmt(flows.script.recordsPerSecond)} /s`, `${flows.ratios.b.toFixed(1)}×`, '≥ 10×'],
  [`(c) flows with batching, no added latency (${fmt(flows.records.batched)} orders)`, `hub ${fmt(flows.hubBatchedNoLatency.recordsPerSecond)} /s`, 'the engine before: 600 /s', `${flows.ratios.c.toFixed(1)}×`, '≥ 5×'],
  ['(d) flows: CPU per record, hub (one event per call) vs script', `hub ${flows.hubPerRecord.cpuMsPerRecord.toFixed(2)} ms (batched: ${flows.hubBatched.cpuMsPerRecord.toFixed(2)} ms)`, `script ${flows.script.cpuMsPerRecord.toFixed(2)} ms`, `${flows.ratios.d.toFixed(2)}×`, '≤ 1.5×'],
  ['(d) for reference: the same, script sending with undici.request (the hub\'s client) instead of fetch', `hub ${flows.hubPerRecord.cpuMsPerRecord.toFixed(2)} ms`, `script ${flows.scriptUndici.cpuMsPerRecord.toFixed(2)} ms`, `${flows.ratios.dUndici.toFixed(2)}×`, ''],
  ['(d) flows: hub peak RSS (batched runs)', `${Math.max(flows.hubBatched.peakRssMb, flows.hubBatchedNoLatency.peakRssMb).toFixed(0)} MB`, '', '', '< 300 MB (BENCH_FLOW_RECORDS=1000000)'],
  ['(e) flows: trigger latency, item added → sales order written (poll 1 s)', `p50 ${flows.triggerLatency.p50.toFixed(0)} ms, p90 ${flows.triggerLatency.p90.toFixed(0)} ms`, '', '', 'p50 ≤ 1,250 ms'],
  ['(f) flows: the same on Change Data Capture (mode: cdc)', `p50 ${flows.cdcLatency.p50.toFixed(0)} ms, p90 ${flows.cdcLatency.p90.toFixed(0)} ms`, '', '', 'p50 ≤ 150 ms'],
);
targets.push(['flows (a)', flows.ratios.a >= 0.9], ['flows (b)', flows.ratios.b >= 10], ['flows (c)', flows.ratios.c >= 5], ['flows (d) CPU', flows.ratios.d <= 1.5], ['flows RSS', Math.max(flows.hubBatched.peakRssMb, flows.hubBatchedNoLatency.peakRssMb) < 300], ['trigger latency', flows.triggerLatency.p50 <= 1250], ['cdc latency', flows.cdcLatency.p50 <= 150]);
console.log(`\nflows summary: ${JSON.stringify(flows)}`);

log('Cluster mode: one backlog run by 1, 2 and 4 hub serve --cluster processes on one PostgreSQL store');
const cluster = await benchCluster(log);
const [one, two, four] = cluster.runs;
const peakRss = Math.max(...cluster.runs.map((r) => r.peakRssMb));
rows.push(
  [`cluster: ${fmt(cluster.events)} queued orders, one event per call, ${cluster.latencyMs} ms latency, 2 and 4 processes vs 1`, `2: ${fmt(two!.recordsPerSecond)} /s, 4: ${fmt(four!.recordsPerSecond)} /s`, `1 process: ${fmt(one!.recordsPerSecond)} /s`, `${(two!.recordsPerSecond / one!.recordsPerSecond).toFixed(2)}×, ${(four!.recordsPerSecond / one!.recordsPerSecond).toFixed(2)}×`, '≥ 1.8×, ≥ 3×'],
  ['cluster: the job queue\'s CPU per event, hub + PostgreSQL (no added latency), and peak RSS per process', `${cluster.queueCpuMsPerEvent.toFixed(2)} ms (${(cluster.clustered.cpuMsPerEvent + cluster.clustered.postgresCpuMsPerEvent).toFixed(2)} vs ${(cluster.single.cpuMsPerEvent + cluster.single.postgresCpuMsPerEvent).toFixed(2)} ms); ${peakRss.toFixed(0)} MB`, 'one process without --cluster', '', 'RSS < 300 MB'],
);
targets.push(['cluster 2×', two!.recordsPerSecond / one!.recordsPerSecond >= 1.8], ['cluster 4×', four!.recordsPerSecond / one!.recordsPerSecond >= 3], ['cluster RSS', peakRss < 300]);

log('Files through External Services: order files into the ERP by the hub\'s flow (file.upload) vs a streaming fetch script, one process');
const files = await benchFiles(log);
rows.push([`files: ${files.files} files of ${files.fileMb} MB, org → ERP (order-files-to-erp, 2 in flight), MB/s; CPU per MB and peak RSS growth of the process holding org, ERP and mover`, `hub ${files.hub.mbPerSecond.toFixed(1)} MB/s, ${files.hub.cpuMsPerMb.toFixed(1)} ms/MB, +${files.hub.rssGrowthMb.toFixed(0)} MB`, `script ${files.script.mbPerSecond.toFixed(1)} MB/s, ${files.script.cpuMsPerMb.toFixed(1)} ms/MB, +${files.script.rssGrowthMb.toFixed(0)} MB`, pct(files.ratio), '≥ 80%']);
targets.push(['files', files.ratio >= 0.8]);

log(`Console in Chromium against ${Number(process.env.BENCH_CONSOLE_RUNS ?? 1_000_000).toLocaleString('en')} runs`);
const ui = await benchConsole(log);
rows.push(
  [`console: first load of a flow's runs page (${fmt(ui.runs)} runs), until the runs show`, `${ui.firstLoadMs} ms`, '', '', '< 1,000 ms'],
  ['console: JavaScript of the first page, gzipped', `${ui.jsGzippedKb.toFixed(0)} KB`, '', '', '≤ 300 KB'],
  [`console: runs list answer, newest page / deep page / failed only (median of 20)`, `${ui.newestPageMs.toFixed(1)} / ${ui.deepPageMs.toFixed(1)} / ${ui.failedOnlyMs.toFixed(1)} ms`, '', '', '< 200 ms'],
  [`console: page heap after ${ui.liveSeconds} s of live runs (${fmt(ui.liveRuns)} arrived)`, `${ui.heapAfterMb.toFixed(1)} MB (${ui.heapBeforeMb.toFixed(1)} MB before)`, '', '', '< 50 MB'],
  [`console: dashboard heap after ${ui.liveSeconds} s of live updates`, `${ui.dashboardHeapAfterMb.toFixed(1)} MB (${ui.dashboardHeapBeforeMb.toFixed(1)} MB before)`, '', '', '< 50 MB'],
);
targets.push(['console load', ui.firstLoadMs < 1000], ['console JS', ui.jsGzippedKb <= 300], ['runs list', Math.max(ui.newestPageMs, ui.deepPageMs, ui.failedOnlyMs) < 200], ['console heap', ui.heapAfterMb < 50], ['dashboard heap', ui.dashboardHeapAfterMb < 50]);

console.log('\n' + rows.map((r) => `| ${r.join(' | ')} |`).join('\n'));
console.log(`\nTargets: ${targets.map(([name, met]) => `${name} ${met ? 'met' : 'NOT met'}`).join('; ')}.`);
