import { useEffect, useState } from 'react';
import { api } from '../api/client';
import type { components } from '../api/schema';
import { Chart } from '../components/chart';

type Dashboard = components['schemas']['Dashboard'];

/**
 * The last hour at a glance (seed 002: "monitor token issuance metrics for anomalies"): token
 * requests per connection, runs per minute per flow, the failure rate, each flow's backlog and lag,
 * and each Salesforce connection's API usage against its daily limit. Refreshed every 10 s.
 */
export function DashboardPage() {
  const [data, setData] = useState<Dashboard>();
  useEffect(() => {
    const load = () => void api.GET('/api/v1/dashboard').then(({ data: d }) => d && setData(d));
    load();
    const timer = window.setInterval(load, 10_000);
    return () => window.clearInterval(timer);
  }, []);
  if (!data) return <p>Loading…</p>;
  const times = data.runs[0]?.points.map((p) => p.at) ?? data.tokenRequests[0]?.points.map((p) => p.at) ?? [];
  const failureRate = times.map((_, i) => {
    let all = 0;
    let bad = 0;
    for (const f of data.runs) {
      const p = f.points[i]!;
      all += p.success + p.failed + p.dead + p.skipped;
      bad += p.failed + p.dead;
    }
    return all ? Math.round((bad / all) * 1000) / 10 : 0;
  });
  return (
    <>
      <h1>Dashboard</h1>
      <div className="charts">
        <Chart title="Token requests per minute, by connection" unit="requests" times={times} series={data.tokenRequests.map((c) => ({ label: c.connection, values: c.points.map((p) => p.success + p.failure) }))} />
        <Chart title="Runs per minute, by flow" unit="runs" times={times} series={data.runs.map((f) => ({ label: f.flow, values: f.points.map((p) => p.success + p.failed + p.dead + p.skipped) }))} />
        <Chart title="Failure rate (failed or dead runs), all flows" unit="%" times={times} series={[{ label: 'failure rate %', values: failureRate }]} />
      </div>
      <h2>Backlog and lag</h2>
      <table>
        <thead><tr><th scope="col">Flow</th><th scope="col">Status</th><th scope="col">Backlog</th><th scope="col">Lag</th></tr></thead>
        <tbody>{data.flows.map((f) => <tr key={f.flow}><td>{f.flow}</td><td>{f.status}</td><td>{f.backlog}</td><td>{(f.lagMs / 1000).toFixed(1)} s</td></tr>)}</tbody>
      </table>
      <h2>Salesforce API usage</h2>
      {data.apiUsage.length ? (
        <table>
          <thead><tr><th scope="col">Connection</th><th scope="col">Share of the daily allowance used</th></tr></thead>
          <tbody>{data.apiUsage.map((u) => <tr key={u.connection}><td>{u.connection}</td><td><meter min={0} max={1} value={u.share} aria-label={`${u.connection} API usage`} /> {(u.share * 100).toFixed(1)} %</td></tr>)}</tbody>
        </table>
      ) : <p>No Salesforce call yet since the hub started (the share comes from Salesforce's Sforce-Limit-Info header).</p>}
    </>
  );
}
