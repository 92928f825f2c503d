import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node } from 'yaml';
import { formatPath, SetupError, type SetupProblem } from './problems.js';
import { setupSchema, type SetupDocument } from './schema.js';

/** A parsed setup document that can still say where each of its parts came from. */
export interface LoadedSetup {
  file: string;
  document: SetupDocument;
  locate(path: readonly PropertyKey[]): { line: number; column: number };
}

/**
 * Parses YAML (JSON is YAML too) and checks it against the setup schema. Every syntax and schema
 * problem is collected, each with its line, so a user fixes the whole file in one pass.
 */
export function loadSetup(text: string, file: string): LoadedSetup {
  try {
    return readSetup(text, file);
  } catch (error) {
    // A document with an alias bomb, or nested thousands deep, is refused as a bad file, not a crash.
    if (error instanceof ReferenceError) throw new SetupError([{ file, line: 1, column: 1, path: '', message: 'the document uses too many aliases (at most 100)' }]);
    if (error instanceof RangeError) throw new SetupError([{ file, line: 1, column: 1, path: '', message: 'the document is nested too deeply' }]);
    throw error;
  }
}

function readSetup(text: string, file: string): LoadedSetup {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const locate = (path: readonly PropertyKey[]) => locateIn(doc, lineCounter, path);

  if (doc.errors.length > 0) {
    throw new SetupError(doc.errors.map((e) => {
      const { line, col } = lineCounter.linePos(e.pos[0]);
      return { file, line, column: col, path: '', message: `invalid YAML: ${e.message.split('\n')[0]}` };
    }));
  }
  const parsed = setupSchema.safeParse(doc.toJS({ maxAliasCount: 100 }) ?? {});
  if (!parsed.success) {
    throw new SetupError(parsed.error.issues.map((issue): SetupProblem => {
      const path = issue.path;
      const where = locate(path);
      const unknownKeys = issue.code === 'unrecognized_keys' ? ` (${issue.keys.join(', ')})` : '';
      // A bad record key (a custom field name without __c) says what the key's own schema says.
      const keyProblem = issue.code === 'invalid_key' ? issue.issues[0]?.message : undefined;
      return { file, ...where, path: formatPath(path), message: (keyProblem ?? issue.message) + unknownKeys };
    }));
  }
  return { file, document: parsed.data, locate };
}

/** The position of the deepest node on `path` that exists, so a missing key points at its parent. */
function locateIn(doc: Document, lineCounter: LineCounter, path: readonly PropertyKey[]): { line: number; column: number } {
  let node: unknown = doc.contents;
  let found = node as Node | null;
  for (const key of path) {
    if (isMap(node)) {
      const pair = node.items.find((item) => isScalar(item.key) && String(item.key.value) === String(key));
      node = pair?.value ?? null;
      if (pair && pair.value === null && isScalar(pair.key)) found = pair.key;
    } else if (isSeq(node) && typeof key === 'number') {
      node = node.items[key] ?? null;
    } else {
      node = null;
    }
    if (!node) break;
    found = node as Node;
  }
  const offset = found?.range?.[0] ?? 0;
  const { line, col } = lineCounter.linePos(offset);
  return { line, column: col };
}
