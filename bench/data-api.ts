/**
 * The org's REST data API with field-level security and private sharing on, as the demo's
 * integration user sees it, next to a bare node:http server answering a JSON body of the same size
 * (the ceiling), both pinned to core 0 while the load runs on core 1:
 *   (a) single-record GETs per second at 50 connections,
 *   (b) records per second inserted through composite/sobjects, 200 per call,
 *   (c) records per second read through paginated SOQL (nextRecordsUrl),
 * with 1,000,000 accounts in the store, and the latency of an indexed query at 10,000 and at
 * 1,000,000 rows.
 */
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { startPinned } from './pinned-child.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const ROWS = Number(process.env.BENCH_DATA_ROWS ?? 1_000_000);
const GET_ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);


async function get(url: string, token?: string): Promise<{ status: number; text: string }> {
  const res = await fetch(url, token ? { headers: { authorization: `Bearer ${token}` } } : {});
  return { status: res.status, text: await res.text() };
}

async function cannon(opts: autocannon.Options) {
  const r = await autocannon(opts);
  return { rps: r.requests.average, p99: r.latency.p99, errors: r.errors + r.non2xx };
}

/** Reads `total` records by following nextRecordsUrl; records per second. */
async function paginate(base: string, first: string, token: string | undefined, total: number): Promise<number> {
  const started = performance.now();
  let read = 0;
  let url: string | undefined = first;
  while (read < total) {
    const page = JSON.parse((await get(`${base}${url}`, token)).text) as { records: unknown[]; nextRecordsUrl?: string };
    read += page.records.length;
    url = page.nextRecordsUrl ?? first;
  }
  return read / ((performance.now() - started) / 1000);
}

async function latency(url: string, token: string, n = 200): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    const res = await get(url, token);
    if (res.status !== 200) throw new Error(`indexed query failed: ${res.text}`);
    times.push(performance.now() - t);
  }
  return times.sort((a, b) => a - b)[Math.floor(n / 2)]!;
}

export interface DataApiResult {
  rows: number;
  get: { org: number; ceiling: number; ratio: number; p99: number };
  insert: { recordsPerSecond: number; ceilingRecordsPerSecond: number };
  query: { recordsPerSecond: number; ceilingRecordsPerSecond: number };
  indexedLatency: { small: number; large: number; ratio: number };
}

export async function benchDataApi(log: (line: string) => void): Promise<DataApiResult> {
  const org = startPinned(0, ['--import', 'tsx', 'bench/data-org-server.ts']);
  const ceiling = startPinned(0, ['--import', 'tsx', 'bench/json-ceiling-server.ts']);
  try {
    const { instanceUrl, token } = (await org.next()) as { instanceUrl: string; token: string };
    const { port } = (await ceiling.next()) as { port: number };
    const api = `${instanceUrl}/services/data/v62.0`;
    const ceilingBase = `http://127.0.0.1:${port}`;
    const indexed = `${api}/query?q=${encodeURIComponent("SELECT Id, Name, Phone FROM Account WHERE Name = 'Account 777'")}`;

    log('seeding 10,000 accounts');
    org.send('seed 10000');
    await org.next();
    const small = await latency(indexed, token);
    log(`indexed query at 10,000 rows: median ${small.toFixed(2)} ms; seeding to ${ROWS.toLocaleString('en')} (takes a while)`);
    org.send(`seed ${ROWS}`);
    await org.next();
    const large = await latency(indexed, token);
    log(`indexed query at ${ROWS.toLocaleString('en')} rows: median ${large.toFixed(2)} ms`);

    // (a) single-record GETs: 1,000 visible ids, fetched round-robin.
    const ids = (JSON.parse((await get(`${api}/query?q=${encodeURIComponent('SELECT Id FROM Account LIMIT 1000')}`, token)).text) as { records: { Id: string }[] }).records.map((r) => r.Id);
    const sample = await get(`${api}/sobjects/Account/${ids[0]}`, token);
    ceiling.send(`size\t/record\t${sample.text}`);
    await ceiling.next();
    let n = 0;
    const getOpts = { connections: 50, duration: SECONDS, headers: { authorization: `Bearer ${token}` } };
    await cannon({ ...getOpts, url: `${api}/sobjects/Account/${ids[0]}`, duration: 2 });
    // Alternating rounds, the median round by ratio reported: the machine's speed drifts.
    const rounds: { org: Awaited<ReturnType<typeof cannon>>; ceiling: Awaited<ReturnType<typeof cannon>> }[] = [];
    for (let round = 1; round <= GET_ROUNDS; round++) {
      const orgFirst = round % 2 === 1;
      const c1 = orgFirst ? undefined : await cannon({ ...getOpts, url: `${ceilingBase}/record` });
      const o = await cannon({ ...getOpts, url: api, requests: [{ setupRequest: (req) => ({ ...req, path: `/services/data/v62.0/sobjects/Account/${ids[n++ % ids.length]}` }) }] });
      const c = c1 ?? (await cannon({ ...getOpts, url: `${ceilingBase}/record` }));
      log(`(a) GET record, round ${round}/${GET_ROUNDS}: org ${o.rps.toFixed(0)}/s (p99 ${o.p99} ms, ${o.errors} errors), ceiling ${c.rps.toFixed(0)}/s, ${((o.rps / c.rps) * 100).toFixed(1)}%`);
      rounds.push({ org: o, ceiling: c });
    }
    const { org: orgGet, ceiling: ceilingGet } = [...rounds].sort((a, b) => a.org.rps / a.ceiling.rps - b.org.rps / b.ceiling.rps)[Math.floor(rounds.length / 2)]!;

    // (b) composite/sobjects inserts, 200 records per call, a few calls in flight.
    let batch = 0;
    const body = () => JSON.stringify({ allOrNone: true, records: Array.from({ length: 200 }, (_, i) => ({ attributes: { type: 'Account' }, Name: `Bench ${batch}-${i}`, Phone: '555-0100', AccountNumber: `B-${batch++}-${i}` })) });
    const sampleInsert = await fetch(`${api}/composite/sobjects`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: body() });
    ceiling.send(`size\t/composite\t${await sampleInsert.text()}`);
    await ceiling.next();
    const insertOpts = { connections: 4, duration: SECONDS, method: 'POST' as const, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' } };
    const orgInsert = await cannon({ ...insertOpts, url: `${api}/composite/sobjects`, requests: [{ setupRequest: (req) => ({ ...req, body: body() }) }] });
    const ceilingInsert = await cannon({ ...insertOpts, url: `${ceilingBase}/composite`, body: body() });
    log(`(b) composite inserts: org ${(orgInsert.rps * 200).toFixed(0)} records/s (${orgInsert.errors} errors), ceiling ${(ceilingInsert.rps * 200).toFixed(0)} records/s`);

    // (c) paginated SOQL, 2,000 records a page.
    const soql = `/services/data/v62.0/query?q=${encodeURIComponent('SELECT Id, Name, AccountNumber, Phone FROM Account')}`;
    const page = await get(`${instanceUrl}${soql}`, token);
    ceiling.send(`size\t/page\t${page.text.replace(/"nextRecordsUrl":"[^"]*",?/, '')}`);
    await ceiling.next();
    const orgQuery = await paginate(instanceUrl, soql, token, 200_000);
    const ceilingQuery = await paginate(ceilingBase, '/page', undefined, 200_000);
    log(`(c) paginated query: org ${orgQuery.toFixed(0)} records/s, ceiling ${ceilingQuery.toFixed(0)} records/s`);

    return {
      rows: ROWS,
      get: { org: orgGet.rps, ceiling: ceilingGet.rps, ratio: orgGet.rps / ceilingGet.rps, p99: orgGet.p99 },
      insert: { recordsPerSecond: orgInsert.rps * 200, ceilingRecordsPerSecond: ceilingInsert.rps * 200 },
      query: { recordsPerSecond: orgQuery, ceilingRecordsPerSecond: ceilingQuery },
      indexedLatency: { small, large, ratio: large / small },
    };
  } finally {
    org.send('quit');
    ceiling.send('quit');
    await Promise.race([Promise.all([once(org.process, 'exit'), once(ceiling.process, 'exit')]), new Promise((r) => setTimeout(r, 5000))]);
    org.process.kill('SIGKILL');
    ceiling.process.kill('SIGKILL');
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  console.log(JSON.stringify(await benchDataApi((line) => console.log(`[bench] ${line}`)), null, 2));
}
