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
    .description("list a flow's latest runs: trigger event, status, duration, error")
    .option('--limit <n>', 'how many runs', (v) => Number(v), 20)
    .action(async (flow: string, flags: ApiFlags & { limit: number }) => {
      const runs = (await callApi(flags, 'GET', `/flows/${encodeURIComponent(flow)}/runs?limit=${flags.limit}`)).body.runs as { startedAt: string; status: string; attempt: number; durationMs: number; error: string | null; steps: { action: string; status: string }[] }[];
      if (runs.length === 0) console.log(`No runs of ${flow} yet.`);
      for (const run of runs) {
        console.log(`${run.startedAt} ${run.status.padEnd(8)} attempt ${run.attempt} ${String(run.durationMs).padStart(5)} ms  ${run.steps.map((s) => `${s.action}:${s.status}`).join(' ')}${run.error ? `  ${run.error}` : ''}`);
      }
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

  for (const [name, action] of [['pause', 'pause'], ['resume', 'resume']] as const) {
    apiFlags(flows.command(`${name} <flow>`))
      .description(`${name} a flow (its trigger ${name === 'pause' ? 'stops polling; changes wait' : 'catches up from its cursor'})`)
      .action(async (flow: string, flags: ApiFlags) => {
        const { body } = await callApi(flags, 'POST', `/flows/${encodeURIComponent(flow)}/${action}`, { text: '{}', type: 'application/json' });
        console.log(`Flow "${String((body.flow as { name: string }).name)}" is ${String((body.flow as { status: string }).status)}.`);
      });
  }
}
