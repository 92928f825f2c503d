import type { components } from '../api/schema';

type ConnectorMethod = components['schemas']['Connector']['methods'][number];
interface FieldSchema { type?: string | string[]; description?: string }
export interface CredentialField { name: string; required: boolean; secret: boolean; url: boolean; description?: string | undefined }

/** Secrets are typed into password fields (never shown back). */
const isSecret = (name: string) => /(secret|password|apiKey)$|^token$/i.test(name);
const URL_FORMAT = 'Enter the URL as https://<domain>, for example https://thirdpartyconnector.com.';

/** The text fields a connector method takes, read from its JSON Schema. */
export function credentialFields(method: ConnectorMethod | undefined): CredentialField[] {
  const schema = method?.credentials as { properties?: Record<string, FieldSchema>; required?: string[] } | undefined;
  return Object.entries(schema?.properties ?? {})
    .filter(([, f]) => f.type === 'string' || f.type === undefined)
    .map(([name, f]) => ({ name, required: schema?.required?.includes(name) ?? false, secret: isSecret(name), url: /url$/i.test(name), description: f.description }));
}

/** Seed 003: "In the URL field, make sure that you enter the value in this format: https://<domain>". */
export function urlProblem(values: Record<string, string>): string | undefined {
  for (const [name, value] of Object.entries(values)) {
    if (!/url$/i.test(name)) continue;
    try {
      const url = new URL(value);
      if (!/^https?:$/.test(url.protocol) || !url.hostname) return URL_FORMAT;
    } catch {
      return URL_FORMAT;
    }
  }
  return undefined;
}

/**
 * The fields' values from a submitted form. When editing, an empty field is left out so the hub keeps
 * what it has (secrets are never sent to the browser, so they cannot be shown to keep).
 */
export function credentialValues(fields: CredentialField[], form: FormData, current?: Record<string, unknown>): Record<string, string> {
  const values: Record<string, string> = {};
  for (const f of fields) {
    const value = String(form.get(f.name) ?? '').trim();
    if (value && value !== current?.[f.name]) values[f.name] = value;
  }
  return values;
}

/** Authentication details: one input per field; when editing, settings are filled in and secrets left blank to keep. */
export function CredentialFields({ fields, current }: { fields: CredentialField[]; current?: Record<string, unknown> | undefined }) {
  return (
    <>
      {fields.map((f) => {
        const shown = current?.[f.name];
        const help = current && f.secret ? 'Leave blank to keep the current value.' : f.description;
        return (
          <label key={f.name}>{f.name}{f.required && !current ? ' (required)' : ''}
            <input name={f.name} type={f.secret ? 'password' : f.url ? 'url' : 'text'} required={f.required && !current} autoComplete="off" defaultValue={typeof shown === 'string' && !f.secret ? shown : undefined} placeholder={f.url ? 'https://<domain>' : undefined} aria-describedby={help ? `${f.name}-help` : undefined} />
            {help ? <small id={`${f.name}-help`}>{help}</small> : null}
          </label>
        );
      })}
    </>
  );
}
