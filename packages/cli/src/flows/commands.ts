import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { apiFlags, callApi, type ApiFlags } from '../hub/api-client.js';

const yamlBody = (file: string) => {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    throw new Error(`Cannot read ${file}.`);
  }
  return { text, type: 'application/yaml' };
};

function printWarnings(file: string, warnings: unknown): void {
  for (const w of (warnings ?? []) as { path: string; message: string }[]) console.warn(`${file}: warning: ${w.path}: ${w.message}`);
}

/** `handshake flows …`: validate, save and watch flows through a running hub. */
export function registerFlowCommands(program: Command): void {
  const flows = program.command('flows').description('flows: trigger → actions with field mapping, run by the hub');

  apiFlags(flows.command('validate <file>'))
    .description('check a flow document (schema, connections, target fields and types) without saving or running it')
    .action(async (file: string, flags: ApiFlags) => {
      try {
        const { body } = await callApi(flags, 'POST', '/flows/validate', yamlBody(file));
        console.log(`${file}: valid flow "${String((body.flow as { name: string }).name)}".`);
        printWarnings(file, body.warnings);
      } catch (error) {
        console.error(`${file}: ${(error as Error).message}`);
        process.exitCode = 1;
      }
    });

  apiFlags(flows.command('save <file>'))
    .description('validate and save (create or replace) a flow; an active flow starts running at once')
    .action(async (file: string, flags: ApiFlags) => {
      const { body } = await callApi(flags, 'PUT', '/flows', yamlBody(file));
      const flow = body.flow as { name: string; status: string };
      console.log(`Saved flow "${flow.name}" (${flow.status}).`);
      printWarnings(file, body.warnings);
    });

  apiFlags(flows.command('list'))
    .description('list flows and their status')
    .action(async (flags: ApiFlags) => {
      for (const flow of (await callApi(flags, 'GET', '/flows')).body.flows as { name: string; status: string; definition: { description?: string } }[]) {
        console.log(`${flow.name.padEnd(40)} ${flow.status.padEnd(7)} ${flow.definition.description ?? ''}`);
      }
    });

  apiFlags(flows.command('runs <flow>'))
    .description("list a flow's runs, newest first: run id, time, status, record, steps, error")
    .option('--limit <n>', 'how many runs (at most 500 a page)', (v) => Number(v), 20)
    .option('--status <status>', 'only runs that ended as success, skipped, failed (will retry) or dead')
    .option('--record <id>', 'only runs about this record (its id, or an exact dedupe key)')
    .option('--since <time>', 'only runs started at or after this ISO time')
    .option('--cursor <next>', 'the page after the one that printed this cursor')
    .action(async (flow: string, flags: ApiFlags & { limit: number; status?: string; record?: string; since?: string; cursor?: string }) => {
      const query = new URLSearchParams({ limit: String(flags.limit), ...Object.fromEntries((['status', 'record', 'since', 'cursor'] as const).flatMap((k) => (flags[k] ? [[k, flags[k]!]] : []))) });
      const { body } = await callApi(flags, 'GET', `/flows/${encodeURIComponent(flow)}/runs?${query.toString()}`);
      const runs = body.runs as { id: string; startedAt: string; status: string; record: string | null; attempt: number; durationMs: number; error: string | null; steps: { action: string; status: string }[] }[];
      if (runs.length === 0) console.log(`No runs of ${flow}${flags.status || flags.record || flags.since ? ' match' : ' yet'}.`);
      for (const run of runs) {
        console.log(`${run.id}  ${run.startedAt} ${run.status.padEnd(8)} ${(run.record ?? '-').padEnd(18)} attempt ${run.attempt} ${String(run.durationMs).padStart(5)} ms  ${run.steps.map((s) => `${s.action}:${s.status}`).join(' ')}${run.error ? `  ${run.error}` : ''}`);
      }
      if (body.next) console.log(`More: handshake flows runs ${flow} --cursor ${String(body.next)}`);
    });

  apiFlags(flows.command('run <flow> <runId>'))
    .description('show one run: its record, status, and each step with its input, output or error')
    .action(async (flow: string, runId: string, flags: ApiFlags) => {
      const run = (await callApi(flags, 'GET', `/flows/${encodeURIComponent(flow)}/runs/${encodeURIComponent(runId)}`)).body.run as { id: string; startedAt: string; status: string; record: string | null; attempt: number; error: string | null; steps: unknown[] };
      console.log(`Run ${run.id} of ${flow}: ${run.status}, attempt ${run.attempt}, started ${run.startedAt}, record ${run.record ?? '-'}${run.error ? `\nError: ${run.error}` : ''}`);
      console.log(JSON.stringify(run.steps, null, 2));
    });

  apiFlags(flows.command('stats <flow>'))
    .description('counts for a flow: runs by status, events pending, done and dead, backlog, lag, last run')
    .action(async (flow: string, flags: ApiFlags) => {
      const s = (await callApi(flags, 'GET', `/flows/${encodeURIComponent(flow)}/stats`)).body as { status: string; runs: Record<string, number>; events: Record<string, number>; backlog: number; lagMs: number; lastRun: { status: string; startedAt: string } | null };
      console.log(`${flow} (${s.status})`);
      console.log(`  runs:    ${Object.entries(s.runs).map(([k, v]) => `${v} ${k}`).join(', ')}`);
      console.log(`  events:  ${s.events.pending} pending, ${s.events.done} done, ${s.events.dead} dead letters`);
      console.log(`  backlog: ${s.backlog}, lag ${(s.lagMs / 1000).toFixed(1)} s`);
      console.log(`  last run: ${s.lastRun ? `${s.lastRun.status} at ${s.lastRun.startedAt}` : 'none yet'}`);
    });

  apiFlags(flows.command('dead-letters <flow>'))
    .description('list the events a flow gave up on')
    .action(async (flow: string, flags: ApiFlags) => {
      const letters = (await callApi(flags, 'GET', `/flows/${encodeURIComponent(flow)}/dead-letters`)).body.deadLetters as { id: string; key: string; attempts: number; error: string }[];
      if (letters.length === 0) console.log('No dead letters.');
      for (const l of letters) console.log(`${l.id} ${l.key} after ${l.attempts} attempts: ${l.error}`);
    });

  apiFlags(flows.command('replay <flow>'))
    .description("send a flow's dead letters back to be run again")
    .action(async (flow: string, flags: ApiFlags) => {
      const { body } = await callApi(flags, 'POST', `/flows/${encodeURIComponent(flow)}/dead-letters/replay`, { text: '{}', type: 'application/json' });
      console.log(`Replaying ${String(body.replayed)} event(s).`);
    });

  apiFlags(flows.command('delete <flow>'))
    .description('delete a flow with its runs and events (refused while senders call its webhook or events wait, unless --force)')
    .option('--force', 'delete even so')
    .action(async (flow: string, flags: ApiFlags & { force?: boolean }) => {
      await callApi(flags, 'DELETE', `/flows/${encodeURIComponent(flow)}${flags.force ? '?force=true' : ''}`);
      console.log(`Deleted flow "${flow}".`);
    });

  apiFlags(flows.command('run-now <flow>'))
    .description('run a schedule flow now, besides its ticks')
    .action(async (flow: string, flags: ApiFlags) => {
      const { body } = await callApi(flags, 'POST', `/flows/${encodeURIComponent(flow)}/run`, { text: '{}', type: 'application/json' });
      console.log(`Queued event ${String(body.eventId)} for ${flow}; see it with: handshake flows runs ${flow} --limit 1`);
    });

  for (const [name, action] of [['pause', 'pause'], ['resume', 'resume']] as const) {
    apiFlags(flows.command(`${name} <flow>`))
      .description(`${name} a flow (its trigger ${name === 'pause' ? 'stops polling; changes wait' : 'catches up from its cursor'})`)
      .action(async (flow: string, flags: ApiFlags) => {
        const { body } = await callApi(flags, 'POST', `/flows/${encodeURIComponent(flow)}/${action}`, { text: '{}', type: 'application/json' });
        console.log(`Flow "${String((body.flow as { name: string }).name)}" is ${String((body.flow as { status: string }).status)}.`);
      });
  }
}
