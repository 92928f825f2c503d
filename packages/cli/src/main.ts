#!/usr/bin/env node
import './runtime/steady-heap.js';
import { createRequire } from 'node:module';
import { Command } from 'commander';
import { registerHubCommands } from './hub/commands.js';
import { registerOrgCommands } from './org/commands.js';
import { registerFlowCommands } from './flows/commands.js';
import { registerDemoCommand } from './demo/commands.js';

const program = new Command()
  .name('handshake')
  .description('Handshake: a self-hosted integration hub for Salesforce and any OAuth 2.0 API,\nwith a Salesforce-compatible org for offline development and CI.')
  .version((createRequire(import.meta.url)('../package.json') as { version: string }).version)
  .showHelpAfterError('(run with --help for usage)');

registerOrgCommands(program);
registerHubCommands(program);
registerFlowCommands(program);
registerDemoCommand(program);

program.parseAsync(process.argv).catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : String(error));
  process.exitCode = 1;
});
