/** One thing wrong with a setup document, located as file:line:column and a path inside it. */
export interface SetupProblem {
  file: string;
  line: number;
  column: number;
  path: string;
  message: string;
}

export function formatPath(path: readonly PropertyKey[]): string {
  return path.reduce<string>((text, key) => (typeof key === 'number' ? `${text}[${key}]` : text ? `${text}.${String(key)}` : String(key)), '');
}

export function formatProblem(p: SetupProblem): string {
  return `${p.file}:${p.line}:${p.column} ${p.path || '(document)'}: ${p.message}`;
}

export class SetupError extends Error {
  constructor(readonly problems: SetupProblem[]) {
    super(`The setup was refused (${problems.length} problem${problems.length === 1 ? '' : 's'}); nothing was applied:\n` + problems.map((p) => '  ' + formatProblem(p)).join('\n'));
    this.name = 'SetupError';
  }
}
