import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { checkUrl, type UrlPolicy } from '../connections/url-policy.js';
import { policyKind, policySchema, type PolicySettings } from './registry.js';

/** Policies on every inbound endpoint of the hub, besides a webhook flow's own. */
export interface HubPolicies {
  /** Before every webhook flow's own policies. */
  webhooks: PolicySettings[];
  /** On every other /api/v1 route, besides the API key or session: only policies that do not authenticate. */
  api: PolicySettings[];
}

export const NO_POLICIES: HubPolicies = { webhooks: [], api: [] };

const hubPoliciesSchema = z.object({
  webhooks: z.array(policySchema).default([]),
  api: z.array(policySchema).default([]),
}).strict();

/** Checks a list of policies' URLs against the hub's URL policy; answers each problem with its path. */
export async function policyUrlProblems(policies: PolicySettings[], urlPolicy: UrlPolicy, at: string): Promise<{ path: string; message: string }[]> {
  const problems: { path: string; message: string }[] = [];
  for (const [i, settings] of policies.entries()) {
    for (const url of policyKind(settings).urls?.(settings) ?? []) {
      const problem = await checkUrl(url, urlPolicy);
      if (problem) problems.push({ path: `${at}.${i}`, message: problem });
    }
  }
  return problems;
}

/** The hub-wide policies file (`hub serve --policies FILE`), refused whole with every problem named. */
export async function loadHubPolicies(file: string, urlPolicy: UrlPolicy): Promise<HubPolicies> {
  let document: unknown;
  try {
    document = parseYaml(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new Error(`${file}: ${(error as Error).message}`);
  }
  const parsed = hubPoliciesSchema.safeParse(document ?? {});
  if (!parsed.success) throw new Error(`${file}: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(document)'}: ${i.message}`).join('; ')}`);
  const problems = [
    ...parsed.data.api.flatMap((p, i) => (policyKind(p).authenticates ? [{ path: `api.${i}`, message: `a ${p.type} policy authenticates callers; the API authenticates with API keys and sessions, so only ipAllowlist and rateLimit apply to it` }] : [])),
    ...await policyUrlProblems(parsed.data.webhooks, urlPolicy, 'webhooks'),
  ];
  if (problems.length) throw new Error(`${file}: ${problems.map((p) => `${p.path}: ${p.message}`).join('; ')}`);
  return parsed.data;
}
