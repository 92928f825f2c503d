import { z } from 'zod';
import type { Connector, ConnectorMethod, SplitCredentials } from './connector.js';
import { privateKeyPem, trimmedCredentialValue } from '../credentials/credential-value.js';

export const SALESFORCE_API_VERSION = 'v66.0';

const instanceUrl = z.url({ message: 'must be the org\'s My Domain URL, such as https://acme.my.salesforce.com' })
  .transform((u) => u.replace(/\/+$/, ''))
  .refine((u) => !/^https:\/\/(login|test)\.salesforce\.com$/i.test(u), 'the client credentials flow needs the org\'s My Domain URL, not login.salesforce.com or test.salesforce.com');

const clientCredentials = z.object({
  instanceUrl,
  consumerKey: trimmedCredentialValue,
  consumerSecret: trimmedCredentialValue,
}).strict();

const clientCredentialsMethod: ConnectorMethod<z.infer<typeof clientCredentials>> = {
  kind: 'oauth2_client_credentials',
  credentials: clientCredentials,
  split: (c) => ({ config: { instanceUrl: c.instanceUrl, consumerKey: c.consumerKey }, secrets: { consumerSecret: c.consumerSecret } }),
  baseUrl: (config) => String(config.instanceUrl),
  clientCredentials: (config, secrets) => ({ tokenUrl: `${String(config.instanceUrl)}/services/oauth2/token`, clientId: String(config.consumerKey), clientSecret: secrets.consumerSecret! }),
  testPath: `/services/data/${SALESFORCE_API_VERSION}`,
};

const authorizationCode = z.object({
  instanceUrl: z.url({ message: 'must be the org\'s My Domain URL (or https://login.salesforce.com, https://test.salesforce.com for sandboxes)' }).transform((u) => u.replace(/\/+$/, '')),
  consumerKey: trimmedCredentialValue,
  consumerSecret: trimmedCredentialValue,
  scope: z.string().trim().default('api refresh_token'),
}).strict();

const authorizationCodeMethod: ConnectorMethod<z.infer<typeof authorizationCode>> = {
  kind: 'oauth2_authorization_code',
  credentials: authorizationCode,
  split: (c) => ({ config: { instanceUrl: c.instanceUrl, consumerKey: c.consumerKey, scope: c.scope }, secrets: { consumerSecret: c.consumerSecret } }),
  baseUrl: (config) => String(config.instanceUrl),
  authorizationCode: (config) => ({ authorizeUrl: `${String(config.instanceUrl)}/services/oauth2/authorize`, tokenUrl: `${String(config.instanceUrl)}/services/oauth2/token`, clientId: String(config.consumerKey), scope: String(config.scope) }),
  testPath: `/services/data/${SALESFORCE_API_VERSION}`,
};

const jwtBearer = z.object({
  instanceUrl: z.url({ message: 'must be the org\'s My Domain URL (or https://login.salesforce.com, https://test.salesforce.com)' }).transform((u) => u.replace(/\/+$/, '')),
  consumerKey: trimmedCredentialValue,
  username: z.string().trim().min(1, 'is required').max(255),
  privateKey: privateKeyPem,
  /** The assertion's `aud`: Salesforce accepts its login hosts (and an Experience Cloud site's URL). */
  audience: z.url().transform((u) => u.replace(/\/+$/, '')).default('https://login.salesforce.com'),
}).strict();

const jwtBearerMethod: ConnectorMethod<z.infer<typeof jwtBearer>> = {
  kind: 'oauth2_jwt_bearer',
  credentials: jwtBearer,
  split: (c) => ({ config: { instanceUrl: c.instanceUrl, consumerKey: c.consumerKey, username: c.username, audience: c.audience }, secrets: { privateKey: c.privateKey } }),
  baseUrl: (config) => String(config.instanceUrl),
  jwtBearer: (config) => ({ tokenUrl: `${String(config.instanceUrl)}/services/oauth2/token`, issuer: String(config.consumerKey), subject: String(config.username), audience: String(config.audience) }),
  testPath: `/services/data/${SALESFORCE_API_VERSION}`,
};

const SUBJECT_TOKEN_TYPES = { access_token: 'urn:ietf:params:oauth:token-type:access_token', id_token: 'urn:ietf:params:oauth:token-type:id_token', jwt: 'urn:ietf:params:oauth:token-type:jwt' } as const;

const tokenExchange = z.object({
  instanceUrl,
  consumerKey: trimmedCredentialValue,
  /** Needed unless the app turns "Require secret for Token Exchange Flow" off. */
  consumerSecret: trimmedCredentialValue.optional(),
  /** The hub identity provider whose token (client credentials) is exchanged. */
  identityProvider: z.string().trim().min(1).max(100),
  subjectTokenType: z.enum(Object.keys(SUBJECT_TOKEN_TYPES) as [keyof typeof SUBJECT_TOKEN_TYPES]).default('access_token'),
  tokenHandler: z.string().regex(/^[A-Za-z][A-Za-z0-9_]{0,79}$/, 'must be the handler\'s API name').optional(),
}).strict();

const tokenExchangeMethod: ConnectorMethod<z.infer<typeof tokenExchange>> = {
  kind: 'oauth2_token_exchange',
  credentials: tokenExchange,
  split: ({ consumerSecret, ...config }): SplitCredentials => ({ config, secrets: consumerSecret ? { consumerSecret } : {} }),
  baseUrl: (config) => String(config.instanceUrl),
  tokenExchange: (config, secrets) => ({
    tokenUrl: `${String(config.instanceUrl)}/services/oauth2/token`, clientId: String(config.consumerKey), clientSecret: secrets.consumerSecret,
    subjectTokenType: SUBJECT_TOKEN_TYPES[config.subjectTokenType as keyof typeof SUBJECT_TOKEN_TYPES], tokenHandler: config.tokenHandler as string | undefined,
  }),
  testPath: `/services/data/${SALESFORCE_API_VERSION}`,
};

/** Salesforce's token and API errors, said as what to change on the Salesforce side. */
const EXPLANATIONS: [RegExp, string][] = [
  [/no client credentials user enabled/, 'run-as user not set on the app: in the External Client App, Policies → OAuth Flows → Client Credentials Flow, set Run As to the integration user\'s username'],
  [/request not supported on this domain/, 'the token request went to a login host: use the org\'s My Domain URL as the instance URL'],
  [/invalid client credentials/, 'invalid client credentials: check the consumer secret (or rotate it and update the connection)'],
  [/client identifier invalid/, 'unknown consumer key: check it, or wait up to 10 minutes after creating the app'],
  [/grant type not supported/, 'the client credentials flow is not enabled on the External Client App'],
  [/INVALID_SESSION_ID|Session expired/, 'the org refused the access token'],
  [/expired access\/refresh token/, 'the refresh token expired or was revoked: reconnect (authorize again)'],
  [/user hasn't approved this consumer/, 'the user is not pre-authorized for the app: set Permitted Users to "Admin approved users are pre-authorized" and give the user one of the app\'s profiles or permission sets'],
  [/audience is invalid/, 'the assertion\'s audience was refused: use https://login.salesforce.com (https://test.salesforce.com for a sandbox)'],
  [/app not enabled for token exchange/, 'the token exchange flow is not enabled on the External Client App'],
  [/no user for the subject of the token/, 'the token exchange handler maps the identity provider\'s token to no user: add its subject to the handler\'s users'],
  [/invalid assertion/, 'the org could not verify the assertion: upload the certificate of this private key to the app (JWT bearer flow), RS256'],
  [/API_DISABLED_FOR_ORG|API_CURRENTLY_DISABLED/, 'the run-as user lacks the API Enabled permission'],
];

export const salesforce: Connector = {
  app: 'salesforce',
  label: 'Salesforce',
  methods: { oauth2_client_credentials: clientCredentialsMethod as unknown as ConnectorMethod, oauth2_authorization_code: authorizationCodeMethod as unknown as ConnectorMethod, oauth2_jwt_bearer: jwtBearerMethod as unknown as ConnectorMethod, oauth2_token_exchange: tokenExchangeMethod as unknown as ConnectorMethod },
  explain: ({ error, description, status }) => {
    const text = `${error ?? ''} ${description ?? ''}`;
    const found = EXPLANATIONS.find(([pattern]) => pattern.test(text));
    if (found) return found[1];
    if (status === 403) return 'the run-as user may lack permissions (scope api not granted, or API Enabled missing)';
    return `Salesforce answered ${[status, error, description].filter(Boolean).join(' ') || 'an unexpected error'}`;
  },
};
