import { z } from 'zod';
import type { Connector, ConnectorMethod, TokenParam } from './connector.js';
import { tokenParamSchema } from './token-params.js';
import { credentialValue } from '../credentials/credential-value.js';

const baseUrl = z.url().transform((u) => u.replace(/\/+$/, ''));
// A path on the connection's own host: `//host` or a backslash (`/\\host`, which URL parsing reads as `//host`) would leave it.
export const testPath = z.string().startsWith('/', 'must start with /').refine((p) => !p.startsWith('//') && !p.includes('\\'), 'must be a path on the connection\'s own host (no leading // and no backslash)').default('/');
const tokenParam = tokenParamSchema;

function method<S extends z.ZodType<Record<string, unknown>>>(m: Omit<ConnectorMethod<z.infer<S>>, 'credentials'> & { credentials: S }): ConnectorMethod {
  return m as unknown as ConnectorMethod;
}

/** Any HTTP API, with the standard authentication methods. */
export const http: Connector = {
  app: 'http',
  label: 'HTTP API',
  methods: {
    oauth2_client_credentials: method({
      kind: 'oauth2_client_credentials',
      credentials: z.object({ baseUrl, tokenUrl: z.url(), clientId: credentialValue, clientSecret: credentialValue, tokenParams: z.array(tokenParam).max(20).default([]), testPath }).strict(),
      split: (c) => ({ config: { baseUrl: c.baseUrl, tokenUrl: c.tokenUrl, clientId: c.clientId, tokenParams: c.tokenParams, testPath: c.testPath }, secrets: { clientSecret: c.clientSecret } }),
      baseUrl: (config) => String(config.baseUrl),
      clientCredentials: (config, secrets) => ({ tokenUrl: String(config.tokenUrl), clientId: String(config.clientId), clientSecret: secrets.clientSecret!, extraParams: (config.tokenParams ?? []) as TokenParam[] }),
      testPath: '',
    }),
    basic: method({
      kind: 'basic',
      credentials: z.object({ baseUrl, username: credentialValue, password: credentialValue, testPath }).strict(),
      split: (c) => ({ config: { baseUrl: c.baseUrl, username: c.username, testPath: c.testPath }, secrets: { password: c.password } }),
      baseUrl: (config) => String(config.baseUrl),
      testPath: '',
    }),
    api_key: method({
      kind: 'api_key',
      credentials: z.object({ baseUrl, headerName: z.string().regex(/^[A-Za-z0-9-]+$/, 'must be an HTTP header name').default('X-API-Key'), apiKey: credentialValue, testPath }).strict(),
      split: (c) => ({ config: { baseUrl: c.baseUrl, headerName: c.headerName, testPath: c.testPath }, secrets: { apiKey: c.apiKey } }),
      baseUrl: (config) => String(config.baseUrl),
      testPath: '',
    }),
    bearer: method({
      kind: 'bearer',
      credentials: z.object({ baseUrl, token: credentialValue, testPath }).strict(),
      split: (c) => ({ config: { baseUrl: c.baseUrl, testPath: c.testPath }, secrets: { token: c.token } }),
      baseUrl: (config) => String(config.baseUrl),
      testPath: '',
    }),
  },
  explain: ({ error, description, status }) => `the API answered ${[status, error, description].filter(Boolean).join(' ') || 'an unexpected error'}`,
};
