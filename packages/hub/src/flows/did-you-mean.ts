import { closest, distance } from 'fastest-levenshtein';

/**
 * " (did you mean X?)" when one of the known names is a likely misspelling of `name` (a few edits
 * away, case aside), or nothing.
 */
export function didYouMean(name: string, known: readonly string[]): string {
  if (!known.length) return '';
  const lower = known.map((k) => k.toLowerCase());
  const best = closest(name.toLowerCase(), lower);
  const edits = distance(name.toLowerCase(), best);
  return edits > 0 && edits <= Math.max(2, Math.floor(name.length / 4)) ? ` (did you mean ${known[lower.indexOf(best)]}?)` : '';
}
