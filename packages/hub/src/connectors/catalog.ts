import { z } from 'zod';
import type { Connector } from './connector.js';
import { http } from './http.js';
import { salesforce } from './salesforce.js';

/** Every connector the hub knows, by app name. */
export const CONNECTORS: Record<string, Connector> = { salesforce, http };

const METHOD_LABELS: Record<string, string> = {
  oauth2_client_credentials: 'OAuth 2.0 Client Credentials',
  oauth2_authorization_code: 'OAuth 2.0 Authorization Code',
  basic: 'Basic (username and password)',
  api_key: 'API Key',
  bearer: 'Bearer Token',
  custom_headers: 'Custom Headers',
};

/** Each connector with its authentication methods and the JSON Schema of each method's fields (for forms). */
export function describeConnectors() {
  return Object.values(CONNECTORS).map((c) => ({
    app: c.app,
    label: c.label,
    methods: Object.entries(c.methods).map(([name, m]) => ({ name, kind: m.kind, label: METHOD_LABELS[m.kind] ?? name, credentials: z.toJSONSchema(m.credentials, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown> })),
  }));
}
