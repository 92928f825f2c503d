import { didYouMean } from './did-you-mean.js';
import type { HubContext } from '../context.js';
import { resolveNamedCredential } from '../credentials/named-credentials.js';
import { Problem } from '../problem.js';
import type { SaveCheck } from './actions/action-kind.js';
import { actionKind } from './actions/registry.js';
import type { Describe } from './actions/salesforce-fields.js';
import { connectionByName, salesforceCall } from './calls/clients.js';
import { formatPath, type FlowDefinition, type FlowProblem, type LoadedFlow } from './definition.js';
import { checkExpressions, expressionProblem } from './mapping.js';
import { checkTrigger } from './triggers/registry.js';

/**
 * The checks that need the outside world, run when a flow is saved: the trigger and each action pass
 * their kind's own checks (triggers/, actions/), and conditions parse.
 * Every problem comes with its line and path in the document.
 */
export async function crossCheckFlow(ctx: HubContext, loaded: LoadedFlow, runAs: string | undefined): Promise<FlowProblem[]> {
  const flow: FlowDefinition = loaded.definition;
  const problems: FlowProblem[] = [];
  const problem = (path: PropertyKey[], message: string) => problems.push({ ...loaded.locate(path), path: formatPath(path), message });
  const describes = new Map<string, Promise<Describe | string>>();
  const v: SaveCheck = {
    ctx,
    runAs,
    problem,
    async namedCredential(path, name) {
      try {
        await resolveNamedCredential(ctx, name, runAs);
        return true;
      } catch (error) {
        problem(path, error instanceof Problem ? error.detail ?? error.title : (error as Error).message);
        return false;
      }
    },
    async salesforceConnection(path, name) {
      try {
        const found = await connectionByName(ctx, name);
        if (found.app !== 'salesforce') problem(path, `connection "${name}" is not a Salesforce connection`);
        return found.app === 'salesforce';
      } catch {
        const names = (await ctx.db.selectFrom('connections').select('name').execute()).map((c) => c.name);
        problem(path, `unknown connection "${name}"${didYouMean(name, names)}`);
        return false;
      }
    },
    describe(connection, object) {
      const key = `${connection}/${object}`;
      if (!describes.has(key)) {
        describes.set(key, salesforceCall(ctx, connection, `/sobjects/${encodeURIComponent(object)}/describe`).then(({ body }) => body as Describe, (error: Error) => {
          const status = /^HTTP (\d+)/.exec(error.message)?.[1];
          return status === '404' ? `object ${object} does not exist or the connection's user cannot read it` : `could not describe ${object}: ${error.message}`;
        }));
      }
      return describes.get(key)!;
    },
    expression(path, text) {
      const message = expressionProblem(text);
      if (message) problem(path, message);
    },
    mapping(path, mapping) {
      for (const p of checkExpressions(mapping)) problem([...path, ...p.path], p.message);
    },
  };

  await checkTrigger(v, flow.trigger);
  flow.conditions.forEach((c, i) => v.expression(['conditions', i], c));
  for (const [i, action] of flow.actions.entries()) {
    if (action.when) v.expression(['actions', i, 'when'], action.when);
    await actionKind(action).check(v, action, ['actions', i]);
  }
  return problems;
}
