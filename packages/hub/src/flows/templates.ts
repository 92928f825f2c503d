import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';

/** The seed flows and the templates beside them (packages/hub/flows), offered by the console as starting points. */
const FOLDERS = ['../../flows/', '../../flows/templates/'].map((dir) => fileURLToPath(new URL(dir, import.meta.url)));

export interface FlowTemplate { name: string; description: string; text: string }

let templates: FlowTemplate[] | undefined;
export function flowTemplates(): FlowTemplate[] {
  return (templates ??= FOLDERS.flatMap((dir) => readdirSync(dir).filter((f) => f.endsWith('.yaml')).sort().map((file) => {
    const text = readFileSync(`${dir}${file}`, 'utf8');
    const doc = parse(text) as { name: string; description?: string };
    return { name: doc.name, description: doc.description ?? '', text };
  })));
}
