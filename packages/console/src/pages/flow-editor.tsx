import { useCallback, useEffect, useMemo, useState } from 'react';
import { parse, stringify } from 'yaml';
import { api, problemText, type Problem as ApiProblem } from '../api/client';
import { Notice } from '../components/ui';
import { YamlEditor, type Problem } from '../components/yaml-editor';
import { go, href } from '../router';

type Template = { name: string; description: string; text: string };
type Mapping = Record<string, unknown>;
interface Doc { name?: string; trigger?: { type?: string; [k: string]: unknown }; conditions?: string[]; actions?: { name?: string; type?: string; when?: string; mapping?: Mapping; records?: { mapping?: Mapping } }[] }

const YAML_HEADERS = { 'content-type': 'application/yaml' };
const asYaml = { bodySerializer: (text: unknown) => text as string, headers: YAML_HEADERS };

/** Every key the flow document's JSON Schema names: what completion offers. */
function schemaKeys(schema: unknown): string[] {
  const keys = new Set<string>();
  const stack = [schema];
  while (stack.length) {
    const node = stack.pop();
    if (!node || typeof node !== 'object') continue;
    const properties = (node as { properties?: Record<string, unknown> }).properties;
    if (properties) Object.keys(properties).forEach((k) => keys.add(k));
    stack.push(...Object.values(node));
  }
  return [...keys].sort();
}

/** Where each target field's value comes from, in one line. */
const sourceOf = (m: unknown): string => {
  const v = m as Record<string, unknown>;
  if (typeof v !== 'object' || v === null) return String(v);
  if ('path' in v) return String(v.path);
  if ('const' in v) return `"${String(v.const)}"`;
  if ('expr' in v) return `= ${String(v.expr)}`;
  if ('template' in v) return `template ${String(v.template)}`;
  if ('lookup' in v) return 'lookup';
  if ('each' in v) return `each ${String(v.each)}`;
  return '?';
};

/** The flow drawn: trigger → conditions → actions, each mapping as source → target. */
function Diagram({ doc }: { doc: Doc | undefined }) {
  if (!doc?.trigger) return <p>Write a trigger and actions to see the flow.</p>;
  const { type, ...settings } = doc.trigger;
  return (
    <ol className="diagram" aria-label="Flow diagram">
      <li className="node"><strong>Trigger: {type}</strong> <small>{Object.entries(settings).filter(([, v]) => typeof v !== 'object').map(([k, v]) => `${k} ${String(v)}`).join(', ')}</small></li>
      {doc.conditions?.length ? <li className="node"><strong>Only when</strong><ul>{doc.conditions.map((c) => <li key={c}><code>{c}</code></li>)}</ul></li> : null}
      {(doc.actions ?? []).map((a, i) => {
        const mapping = a.mapping ?? a.records?.mapping ?? {};
        return (
          <li key={a.name ?? i} className="node">
            <strong>{a.name}: {a.type}</strong>{a.when ? <small> when <code>{a.when}</code></small> : null}
            {Object.keys(mapping).length ? (
              <table className="mapping"><thead><tr><th scope="col">Source</th><th scope="col">→ Target</th></tr></thead>
                <tbody>{Object.entries(mapping).map(([target, m]) => <tr key={target}><td><code>{sourceOf(m)}</code></td><td>{target}</td></tr>)}</tbody></table>
            ) : null}
          </li>
        );
      })}
    </ol>
  );
}

/** Write a flow: start from a template or the saved flow, see problems inline as you type, see it drawn, save. */
export function FlowEditor({ name }: { name?: string | undefined }) {
  const [text, setText] = useState('');
  const [templates, setTemplates] = useState<Template[]>([]);
  const [keys, setKeys] = useState<string[]>([]);
  const [problems, setProblems] = useState<Problem[]>([]);
  const [message, setMessage] = useState<{ kind: 'error' | 'success'; text: string }>();
  useEffect(() => {
    void api.GET('/api/v1/flows/schema.json').then(({ data }) => setKeys(schemaKeys(data)));
    // The document as it was last saved (comments and all), or the stored definition for a flow saved before versions were kept.
    if (name) {
      void (async () => {
        const saved = (await api.GET('/api/v1/flows/{id}/versions', { params: { path: { id: name } } })).data?.versions[0]?.text;
        const flow = saved ? undefined : (await api.GET('/api/v1/flows/{id}', { params: { path: { id: name } } })).data?.flow;
        setText(saved ?? (flow ? stringify(flow.definition) : ''));
      })();
    }
    else void api.GET('/api/v1/flows/templates').then(({ data }) => setTemplates(data?.templates ?? []));
  }, [name]);
  const doc = useMemo(() => {
    try {
      return parse(text) as Doc | undefined;
    } catch {
      return undefined;
    }
  }, [text]);
  const validate = useCallback(async (yamlText: string): Promise<Problem[]> => {
    if (!yamlText.trim()) return [];
    const { error } = await api.POST('/api/v1/flows/validate', { body: yamlText as never, ...asYaml });
    const found = error ? ((error as ApiProblem).errors ?? [{ path: '(document)', message: problemText(error) }]) : [];
    setProblems(found);
    return found;
  }, []);
  const save = async () => {
    const { data, error } = await api.PUT('/api/v1/flows', { body: text as never, ...asYaml });
    if (!data) return setMessage({ kind: 'error', text: problemText(error) });
    go('flows', (data as { flow: { name: string } }).flow.name);
  };
  return (
    <>
      <p><a href={href('flows')}>Flows</a> › {name ? `${name} › edit` : 'New flow'}</p>
      <h1>{name ? `Edit ${name}` : 'New flow'}</h1>
      {!name ? (
        <section aria-labelledby="templates-title">
          <h2 id="templates-title">Start from a template</h2>
          <ul className="cards">{templates.map((t) => <li key={t.name} className="card"><h3>{t.name}</h3><p>{t.description}</p><button type="button" onClick={() => setText(t.text)} aria-label={`Use template ${t.name}`}>Use</button></li>)}</ul>
        </section>
      ) : null}
      <div className="editor-grid">
        <section aria-labelledby="document-title">
          <h2 id="document-title">Flow document (YAML)</h2>
          <YamlEditor value={text} onChange={setText} validate={validate} keys={keys} label="Flow document" />
          <div role="status" className="problems">{text.trim() ? (problems.length ? <ul>{problems.map((p, i) => <li key={i}>{p.line !== undefined ? `${p.line}:${p.column ?? 1} ` : ''}{p.path}: {p.message}</li>)}</ul> : 'No problems.') : ''}</div>
          {message ? <Notice kind={message.kind}>{message.text}</Notice> : null}
          <div className="actions"><button type="button" onClick={() => void save()} disabled={!text.trim()}>Save</button></div>
        </section>
        <section aria-labelledby="diagram-title">
          <h2 id="diagram-title">Diagram</h2>
          <Diagram doc={doc} />
        </section>
      </div>
    </>
  );
}
