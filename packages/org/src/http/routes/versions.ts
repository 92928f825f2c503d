import type { FastifyInstance } from 'fastify';
import type { OAuthContext } from '../../oauth/context.js';
import { identityUrl } from '../../oauth/token-response.js';
import { notFound } from '../api-error.js';
import { requireSession } from '../bearer-auth.js';

export const MIN_API_VERSION = 50;
export const MAX_API_VERSION = 66;

/** Salesforce ships three releases a year; v50.0 was Winter '21. */
export function apiVersions() {
  const versions = [];
  for (let v = MIN_API_VERSION; v <= MAX_API_VERSION; v++) {
    const n = v - MIN_API_VERSION;
    const season = ['Winter', 'Spring', 'Summer'][n % 3];
    versions.push({ label: `${season} '${21 + Math.floor(n / 3)}`, url: `/services/data/v${v}.0`, version: `${v}.0` });
  }

  return versions;
}

export function parseApiVersion(text: string): number | undefined {
  const match = /^v(\d{2})\.0$/.exec(text);
  const v = match ? Number(match[1]) : NaN;
  return v >= MIN_API_VERSION && v <= MAX_API_VERSION ? v : undefined;
}

export function versionRoutes(app: FastifyInstance, ctx: OAuthContext): void {
  app.get('/services/data', async () => apiVersions());

  app.get<{ Params: { version: string } }>('/services/data/:version', async (request) => {
    const version = request.params.version;
    if (parseApiVersion(version) === undefined) throw notFound();
    const session = await requireSession(ctx, request);
    const base = `/services/data/${version}`;
    const resources = ['tooling', 'metadata', 'eclair', 'folders', 'prechatForms', 'chatter', 'tabs', 'appMenu', 'quickActions', 'queryAll', 'commerce', 'wave', 'iot', 'analytics', 'search', 'smartdatadiscovery', 'identity', 'composite', 'parameterizedSearch', 'fingerprint', 'theme', 'nouns', 'event', 'serviceTemplates', 'recent', 'connect', 'licensing', 'limits', 'process', 'async-queries', 'query', 'jobs', 'match', 'localizedvalue', 'mobile', 'emailConnect', 'consent', 'tokenizer', 'compactLayouts', 'knowledgeManagement', 'sobjects', 'actions', 'support'];
    return Object.fromEntries(resources.map((r) => [r, r === 'identity' ? identityUrl(ctx, session.user.id) : `${base}/${r}`]));
  });
}
