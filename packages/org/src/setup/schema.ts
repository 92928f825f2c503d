import { z } from 'zod';
import { FIELD_PERMISSIONS, LICENCES, OBJECT_PERMISSIONS, PERMISSION_SET_LICENCES, SHARING_DEFAULTS, SYSTEM_PERMISSIONS } from '../identity/catalog.js';

export const DURATION_PATTERN = /^(\d+)\s*(s|m|h|d)$/;

export function durationSeconds(text: string): number {
  const match = DURATION_PATTERN.exec(text.trim());
  if (!match) throw new Error(`Invalid duration "${text}"`);
  return Number(match[1]) * { s: 1, m: 60, h: 3600, d: 86400 }[match[2] as 's' | 'm' | 'h' | 'd'];
}

const duration = z.string().regex(DURATION_PATTERN, 'must be a duration such as 90s, 15m, 2h or 30d');
const apiName = z.string().regex(/^[A-Za-z][A-Za-z0-9_]{0,79}$/, 'must start with a letter and hold only letters, digits and underscores (at most 80)');

export const OAUTH_SCOPES = ['api', 'refresh_token', 'offline_access', 'full', 'web', 'id', 'openid', 'profile', 'email', 'address', 'phone'] as const;
export const OAUTH_FLOWS = ['client_credentials', 'authorization_code', 'refresh_token', 'jwt_bearer', 'token_exchange'] as const;
/** The subject token types a token exchange handler can validate (the ones carried as JWTs). */
export const SUBJECT_TOKEN_TYPES = ['jwt', 'access_token', 'id_token'] as const;
/** Who may use the app (Permitted Users): the JWT bearer flow needs admin-approved users, or a user's earlier approval. */
export const PERMITTED_USERS_POLICIES = ['allSelfAuthorized', 'adminApprovedPreAuthorized'] as const;
export const REFRESH_TOKEN_POLICIES = ['validUntilRevoked', 'expireAfter', 'expireIfNotUsedFor'] as const;

const userSchema = z.object({
  username: z.email('must be shaped like an email address (Salesforce usernames are)'),
  email: z.email(),
  firstName: z.string().max(40).optional(),
  lastName: z.string().min(1).max(80),
  licence: z.enum(LICENCES),
  profile: z.string().min(1),
  active: z.boolean().default(true),
  password: z.string().min(8, 'must be at least 8 characters').optional(),
  permissionSets: z.array(z.string()).default([]),
  permissionSetLicences: z.array(z.enum(PERMISSION_SET_LICENCES)).default([]),
}).strict();

const permissionSetSchema = z.object({
  name: apiName,
  label: z.string().min(1).max(80),
  description: z.string().optional(),
  objects: z.record(z.string(), z.array(z.enum(OBJECT_PERMISSIONS))).default({}),
  fields: z.record(z.string(), z.array(z.enum(FIELD_PERMISSIONS))).default({}),
  system: z.array(z.enum(SYSTEM_PERMISSIONS)).default([]),
}).strict();

const sharingRuleSchema = z.object({
  name: apiName,
  ownedBy: z.array(z.string()).min(1),
  sharedWith: z.array(z.string()).min(1),
  access: z.enum(['Read', 'Read/Write']),
}).strict();

const sharingSchema = z.object({
  default: z.enum(SHARING_DEFAULTS),
  rules: z.array(sharingRuleSchema).default([]),
}).strict();

const appSchema = z.object({
  name: z.string().min(1).max(255),
  apiName,
  contactEmail: z.email(),
  oauth: z.object({
    callbackUrls: z.array(z.url()).default([]),
    scopes: z.array(z.enum(OAUTH_SCOPES)).min(1),
    flows: z.array(z.enum(OAUTH_FLOWS)).min(1),
    /** Require secret for Web Server Flow. */
    requireSecret: z.boolean().default(true),
    /** Require secret for Refresh Token Flow (a secret sent anyway is still checked); default: as requireSecret, so a public client stays public. */
    requireSecretForRefreshToken: z.boolean().optional(),
    /** Require secret for Token Exchange Flow. */
    requireSecretForTokenExchange: z.boolean().default(true),
    requirePkce: z.boolean().default(true),
    /** The X.509 certificate (PEM) whose key signs JWT bearer assertions: it enables the jwt_bearer flow. */
    certificate: z.string().optional(),
  }).strict(),
  policies: z.object({
    runAs: z.string().optional(),
    refreshToken: z.object({ policy: z.enum(REFRESH_TOKEN_POLICIES), duration: duration.optional() }).strict().default({ policy: 'validUntilRevoked' }),
    refreshTokenRotation: z.boolean().default(false),
    accessTokenLifetime: duration.default('2h'),
    permittedUsers: z.object({
      policy: z.enum(PERMITTED_USERS_POLICIES),
      /** With adminApprovedPreAuthorized: users with one of these profiles or permission sets are pre-authorized. */
      profiles: z.array(z.string().min(1)).default([]),
      permissionSets: z.array(z.string().min(1)).default([]),
    }).strict().default({ policy: 'allSelfAuthorized', profiles: [], permissionSets: [] }),
  }).strict().default({ refreshToken: { policy: 'validUntilRevoked' }, refreshTokenRotation: false, accessTokenLifetime: '2h', permittedUsers: { policy: 'allSelfAuthorized', profiles: [], permissionSets: [] } }),
}).strict();

/**
 * A token exchange handler: what Salesforce's Apex `Auth.Oauth2TokenExchangeHandler` does, as data.
 * It validates the incoming token against an external identity provider (issuer, JWKS, audience)
 * and maps a claim of it to a user (a fixed map, or the user whose username or email is the claim).
 */
const tokenExchangeHandlerSchema = z.object({
  name: apiName,
  issuer: z.string().min(1).max(2000),
  jwksUrl: z.url(),
  audience: z.string().min(1).max(2000).optional(),
  tokenTypes: z.array(z.enum(SUBJECT_TOKEN_TYPES)).min(1).default(['jwt', 'access_token', 'id_token']),
  subjectClaim: z.string().min(1).max(100).default('sub'),
  users: z.record(z.string(), z.string()).optional(),
  /** The apps it is enabled for; a request without token_handler uses the app's default handler. */
  apps: z.array(z.object({ app: apiName, default: z.boolean().default(false) }).strict()).min(1),
}).strict();

export const CUSTOM_FIELD_TYPES = ['text', 'textarea', 'number', 'currency', 'percent', 'checkbox', 'date', 'datetime', 'email', 'phone', 'url', 'picklist', 'multipicklist', 'lookup'] as const;

const customFieldName = z.string().regex(/^[A-Za-z][A-Za-z0-9_]{0,39}__c$/, 'custom field names end in __c and hold only letters, digits and underscores');

const customFieldSchema = z.object({
  type: z.enum(CUSTOM_FIELD_TYPES),
  label: z.string().min(1).max(40).optional(),
  length: z.number().int().min(1).max(131072).optional(),
  precision: z.number().int().min(1).max(18).optional(),
  scale: z.number().int().min(0).max(17).optional(),
  required: z.boolean().default(false),
  values: z.array(z.string().min(1).max(255)).min(1).optional(),
  restricted: z.boolean().default(true),
  referenceTo: z.string().optional(),
  relationshipName: z.string().regex(/^[A-Za-z][A-Za-z0-9_]*$/).optional(),
  externalId: z.boolean().default(false),
  unique: z.boolean().default(false),
  default: z.union([z.string(), z.number(), z.boolean()]).optional(),
}).strict();

const objectSchema = z.object({
  label: z.string().min(1).max(40).optional(),
  pluralLabel: z.string().min(1).max(40).optional(),
  fields: z.record(customFieldName, customFieldSchema).default({}),
}).strict();

export const setupSchema = z.object({
  org: z.object({
    name: z.string().min(1).max(80),
    /** External Client App Settings → "Allow access to External Client App consumer secrets via REST API". */
    allowConsumerSecretsViaRest: z.boolean().default(false),
  }).strict().optional(),
  permissionSets: z.array(permissionSetSchema).default([]),
  users: z.array(userSchema).default([]),
  /** Custom objects (`Name__c`) and custom fields added to standard objects. */
  objects: z.record(z.string(), objectSchema).default({}),
  sharing: z.record(z.string(), sharingSchema).default({}),
  /** Objects whose committed changes become change events (Setup → Change Data Capture); the whole list, replaced. */
  changeDataCapture: z.array(z.string()).max(100).optional(),
  /** The daily REST request allowance (Salesforce's DailyApiRequests). */
  limits: z.object({ dailyApiRequests: z.number().int().min(1).default(100000) }).strict().optional(),
  apps: z.array(appSchema).default([]),
  tokenExchangeHandlers: z.array(tokenExchangeHandlerSchema).default([]),
}).strict();

export type TokenExchangeHandlerSpec = z.infer<typeof tokenExchangeHandlerSchema>;
export type SetupDocument = z.infer<typeof setupSchema>;
export type UserSpec = SetupDocument['users'][number];
export type PermissionSetSpec = SetupDocument['permissionSets'][number];
export type AppSpec = SetupDocument['apps'][number];
export type CustomObjectSpec = SetupDocument['objects'][string];
export type CustomFieldSpec = CustomObjectSpec['fields'][string];
export type SharingSpec = SetupDocument['sharing'][string];
