import { X509Certificate } from 'node:crypto';
import type { Kysely } from 'kysely';
import { findProfile, isKnownObject, OBJECTS_WITHOUT_SHARING, STANDARD_OBJECTS } from '../identity/catalog.js';
import type { OrgDatabase } from '../store/schema.js';
import type { LoadedSetup } from './load.js';
import { formatPath, type SetupProblem } from './problems.js';

/**
 * The checks that need more than one part of the document (or the org as it is): references
 * between users, permission sets and apps, and Salesforce's licence rules.
 */
export async function crossCheck(setup: LoadedSetup, db: Kysely<OrgDatabase>): Promise<SetupProblem[]> {
  const { document: doc } = setup;
  const problems: SetupProblem[] = [];
  const problem = (path: PropertyKey[], message: string) => problems.push({ file: setup.file, ...setup.locate(path), path: formatPath(path), message });

  const existingObjects = new Map((await db.selectFrom('data_objects').select(['name', 'definition']).execute()).map((o) => [o.name, Object.keys((JSON.parse(o.definition) as { fields: object }).fields)]));
  const customFieldsOf = (object: string) => [...(doc.objects[object] ? Object.keys(doc.objects[object].fields) : existingObjects.get(object) ?? [])];
  const customObjects = new Set([...Object.keys(doc.objects), ...existingObjects.keys()].filter((o) => /__[ce]$/.test(o)));
  const objectKnown = (name: string) => isKnownObject(name, customObjects);
  const fieldKnown = (object: string, name: string) => (STANDARD_OBJECTS[object] ?? []).includes(name) || customFieldsOf(object).includes(name) || (object.endsWith('__c') && name === 'Name');

  (doc.changeDataCapture ?? []).forEach((object, i) => {
    if (!objectKnown(object) || object === 'User' || object === 'Organization' || object.endsWith('__e')) problem(['changeDataCapture', i], `"${object}" cannot send change events: name a standard object other than User, or a custom object`);
  });

  for (const [object, spec] of Object.entries(doc.objects)) {
    if (/__[ce]$/.test(object)) {
      if (!/^[A-Za-z][A-Za-z0-9_]{0,39}__[ce]$/.test(object)) problem(['objects', object], `custom object and platform event names hold only letters, digits and underscores before __${object.slice(-1)}`);
    } else if (!isKnownObject(object)) {
      problem(['objects', object], `unknown object "${object}": custom objects end in __c, platform events in __e; standard objects are ${Object.keys(STANDARD_OBJECTS).join(', ')}`);
    } else if (object === 'User') problem(['objects', object], 'custom fields on User are not supported');
    for (const [name, f] of Object.entries(spec.fields)) {
      const at = ['objects', object, 'fields', name];
      if ((f.type === 'picklist' || f.type === 'multipicklist') && !f.values) problem([...at, 'values'], `a ${f.type} field needs its values`);
      if (f.type !== 'picklist' && f.type !== 'multipicklist' && f.values) problem([...at, 'values'], `only picklist fields have values (this one is ${f.type})`);
      if (f.type === 'lookup' && !f.referenceTo) problem([...at, 'referenceTo'], 'a lookup field needs referenceTo (the object it points at)');
      if (f.type === 'lookup' && f.referenceTo && !objectKnown(f.referenceTo)) problem([...at, 'referenceTo'], `unknown object "${f.referenceTo}"`);
      if (f.type === 'lookup' && f.referenceTo?.endsWith('__e')) problem([...at, 'referenceTo'], 'a lookup cannot point at a platform event: events are not stored as records');
      if (f.type !== 'lookup' && f.referenceTo) problem([...at, 'referenceTo'], 'only lookup fields have referenceTo');
      if ((f.externalId || f.unique) && !['text', 'number', 'email'].includes(f.type)) problem([...at], `only text, number and email fields can be external ids or unique (this one is ${f.type})`);
      if (f.required && f.type === 'checkbox') problem([...at, 'required'], 'a checkbox is never empty; it cannot be required');
      if (f.values && new Set(f.values).size !== f.values.length) problem([...at, 'values'], 'picklist values must be distinct');
    }
  }

  const existingUsers = new Set((await db.selectFrom('users').select('username').execute()).map((u) => u.username));
  const existingSets = new Set((await db.selectFrom('permission_sets').select('name').execute()).map((s) => s.name));
  const existingApps = new Map((await db.selectFrom('apps').select(['api_name', 'flows']).execute()).map((a) => [a.api_name, JSON.parse(a.flows) as string[]]));
  const fileUsers = new Set<string>();
  const fileSets = new Set<string>();

  doc.permissionSets.forEach((set, i) => {
    if (fileSets.has(set.name)) problem(['permissionSets', i, 'name'], `permission set "${set.name}" is declared twice`);
    fileSets.add(set.name);
    for (const object of Object.keys(set.objects)) {
      if (!objectKnown(object)) problem(['permissionSets', i, 'objects', object], `unknown object "${object}"; known objects: ${[...Object.keys(STANDARD_OBJECTS), ...customObjects].join(', ')}`);
    }
    for (const key of Object.keys(set.fields)) {
      const [object, field, extra] = key.split('.');
      if (!object || !field || extra !== undefined) problem(['permissionSets', i, 'fields', key], `field permissions are keyed Object.Field (got "${key}")`);
      else if (!objectKnown(object)) problem(['permissionSets', i, 'fields', key], `unknown object "${object}"`);
      else if (!fieldKnown(object, field)) problem(['permissionSets', i, 'fields', key], `unknown field "${field}" on ${object}`);
    }
  });

  const knownUser = (name: string) => fileUsers.has(name) || existingUsers.has(name);
  doc.users.forEach((user, i) => {
    const lower = user.username.toLowerCase();
    if ([...fileUsers].some((u) => u.toLowerCase() === lower)) problem(['users', i, 'username'], `user "${user.username}" is declared twice`);
    fileUsers.add(user.username);
    const profile = findProfile(user.profile);
    if (!profile) {
      problem(['users', i, 'profile'], `unknown profile "${user.profile}"; use one of: System Administrator, Standard User, Minimum Access - API Only Integrations`);
    } else if (!profile.licences.includes(user.licence)) {
      problem(['users', i, 'profile'], `the ${user.licence} licence allows only API-only profiles (${user.profile} is not one); use "Minimum Access - API Only Integrations"`);
    }
    if (user.permissionSetLicences.includes('Salesforce API Integration') && user.licence !== 'Salesforce Integration') {
      problem(['users', i, 'permissionSetLicences'], 'the Salesforce API Integration permission set licence can only be assigned to users with the Salesforce Integration licence');
    }
    if (user.licence === 'Salesforce Integration' && user.permissionSets.length > 0 && !user.permissionSetLicences.includes('Salesforce API Integration')) {
      problem(['users', i, 'permissionSets'], 'a Salesforce Integration user needs the Salesforce API Integration permission set licence before permission sets can be assigned');
    }
    user.permissionSets.forEach((name, j) => {
      if (!fileSets.has(name) && !existingSets.has(name)) problem(['users', i, 'permissionSets', j], `unknown permission set "${name}"`);
    });
  });

  for (const [object, sharing] of Object.entries(doc.sharing)) {
    if (!objectKnown(object)) problem(['sharing', object], `unknown object "${object}"`);
    else if (OBJECTS_WITHOUT_SHARING.has(object)) problem(['sharing', object], `${object} has no sharing settings of its own (its access follows its parent)`);
    sharing.rules.forEach((rule, r) => {
      for (const key of ['ownedBy', 'sharedWith'] as const) {
        rule[key].forEach((name, k) => {
          if (!knownUser(name)) problem(['sharing', object, 'rules', r, key, k], `user "${name}" does not exist`);
        });
      }
    });
  }

  const apiNames = new Set<string>();
  doc.apps.forEach((app, i) => {
    if (apiNames.has(app.apiName)) problem(['apps', i, 'apiName'], `app "${app.apiName}" is declared twice`);
    apiNames.add(app.apiName);
    const runAs = app.policies.runAs;
    if (runAs !== undefined) {
      if (!app.oauth.flows.includes('client_credentials')) problem(['apps', i, 'policies', 'runAs'], 'a run-as user is only used by the client credentials flow; add client_credentials to oauth.flows');
      if (!knownUser(runAs)) problem(['apps', i, 'policies', 'runAs'], `run-as user "${runAs}" does not exist (give the username, not the email address)`);
      else {
        const spec = doc.users.find((u) => u.username === runAs);
        if (spec && !spec.active) problem(['apps', i, 'policies', 'runAs'], `run-as user "${runAs}" is inactive`);
      }
    }
    if (app.oauth.flows.includes('authorization_code') && app.oauth.callbackUrls.length === 0) {
      problem(['apps', i, 'oauth', 'callbackUrls'], 'the authorization code flow needs at least one callback URL');
    }
    app.oauth.callbackUrls.forEach((url, j) => {
      const parsed = new URL(url);
      const local = ['localhost', '127.0.0.1', '[::1]'].includes(parsed.hostname);
      if (parsed.protocol === 'http:' && !local) problem(['apps', i, 'oauth', 'callbackUrls', j], 'callback URLs must use https (http is allowed only for localhost)');
      if (parsed.hash) problem(['apps', i, 'oauth', 'callbackUrls', j], 'callback URLs cannot contain a fragment (#…)');
    });
    const refresh = app.policies.refreshToken;
    if (refresh.policy !== 'validUntilRevoked' && refresh.duration === undefined) {
      problem(['apps', i, 'policies', 'refreshToken', 'duration'], `the ${refresh.policy} policy needs a duration such as 30d`);
    }
    if (app.oauth.flows.includes('jwt_bearer') && !app.oauth.certificate) problem(['apps', i, 'oauth', 'certificate'], 'the JWT bearer flow needs the X.509 certificate (PEM) whose private key signs the assertions');
    if (app.oauth.certificate) {
      if (!app.oauth.flows.includes('jwt_bearer')) problem(['apps', i, 'oauth', 'certificate'], 'a certificate is used only by the JWT bearer flow; add jwt_bearer to oauth.flows');
      const why = certificateProblem(app.oauth.certificate);
      if (why) problem(['apps', i, 'oauth', 'certificate'], why);
    }
    const permitted = app.policies.permittedUsers;
    permitted.profiles.forEach((name, j) => {
      if (!findProfile(name)) problem(['apps', i, 'policies', 'permittedUsers', 'profiles', j], `unknown profile "${name}"`);
    });
    permitted.permissionSets.forEach((name, j) => {
      if (!fileSets.has(name) && !existingSets.has(name)) problem(['apps', i, 'policies', 'permittedUsers', 'permissionSets', j], `unknown permission set "${name}"`);
    });
    if (permitted.policy === 'allSelfAuthorized' && (permitted.profiles.length || permitted.permissionSets.length)) {
      problem(['apps', i, 'policies', 'permittedUsers', 'policy'], 'profiles and permission sets pre-authorize users only with the adminApprovedPreAuthorized policy');
    }
    if (app.oauth.flows.includes('refresh_token') && !app.oauth.scopes.some((s) => s === 'refresh_token' || s === 'offline_access')) {
      problem(['apps', i, 'oauth', 'scopes'], 'the refresh token flow needs the refresh_token (offline_access) scope');
    }
  });
  const defaults = new Map<string, string>();
  for (const [i, handler] of doc.tokenExchangeHandlers.entries()) {
    if (doc.tokenExchangeHandlers.findIndex((h) => h.name === handler.name) !== i) problem(['tokenExchangeHandlers', i, 'name'], `handler "${handler.name}" is declared twice`);
    for (const [j, enabled] of handler.apps.entries()) {
      const flows: readonly string[] | undefined = doc.apps.find((a) => a.apiName === enabled.app)?.oauth.flows ?? existingApps.get(enabled.app);
      if (!flows) problem(['tokenExchangeHandlers', i, 'apps', j, 'app'], `unknown app "${enabled.app}"`);
      else if (!flows.includes('token_exchange')) problem(['tokenExchangeHandlers', i, 'apps', j, 'app'], `app "${enabled.app}" does not enable the token exchange flow; add token_exchange to its oauth.flows`);
      if (enabled.default) {
        const other = defaults.get(enabled.app);
        if (other) problem(['tokenExchangeHandlers', i, 'apps', j, 'default'], `app "${enabled.app}" already has a default handler ("${other}")`);
        defaults.set(enabled.app, handler.name);
      }
    }
    for (const [value, username] of Object.entries(handler.users ?? {})) {
      if (!knownUser(username)) problem(['tokenExchangeHandlers', i, 'users', value], `user "${username}" does not exist (give the username)`);
    }
  }
  return problems;
}

/** Why a PEM is not a usable X.509 certificate with an RSA key (JWT bearer assertions are RS256), if it is not. */
function certificateProblem(pem: string): string | undefined {
  try {
    const certificate = new X509Certificate(pem);
    if (certificate.publicKey.asymmetricKeyType !== 'rsa') return `the certificate's key is ${certificate.publicKey.asymmetricKeyType}; JWT bearer assertions are signed with RS256, which needs an RSA key`;
    return undefined;
  } catch {
    return 'is not an X.509 certificate in PEM form (-----BEGIN CERTIFICATE----- …)';
  }
}
