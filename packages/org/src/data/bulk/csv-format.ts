/** Bulk API 2.0's column delimiters and line endings, by the names jobs use. */
export const DELIMITERS = { COMMA: ',', TAB: '\t', PIPE: '|', SEMICOLON: ';', CARET: '^', BACKQUOTE: '`' } as const;
export type DelimiterName = keyof typeof DELIMITERS;
export const LINE_ENDINGS = { LF: '\n', CRLF: '\r\n' } as const;
export type LineEndingName = keyof typeof LINE_ENDINGS;

export interface CsvFormat { delimiter: string; lineEnding: string }

export const formatOf = (job: { column_delimiter: string; line_ending: string }): CsvFormat => ({
  delimiter: DELIMITERS[job.column_delimiter as DelimiterName],
  lineEnding: LINE_ENDINGS[job.line_ending as LineEndingName],
});

/** One value as Salesforce writes result files: always quoted, quotes doubled. */
const quoted = (value: string) => `"${value.replace(/"/g, '""')}"`;

/** A header or data row, every value quoted; `raw` values (an echoed upload header) go as uploaded. */
export function csvRow(values: readonly string[], format: CsvFormat, raw: readonly string[] = []): string {
  return [...values.map(quoted), ...raw].join(format.delimiter) + format.lineEnding;
}

/** Re-encodes parsed upload values for echoing in result files (quoted only when they must be). */
export function csvValues(values: readonly string[], format: CsvFormat): string[] {
  return values.map((v) => (v.includes(format.delimiter) || /["\r\n]/.test(v) ? quoted(v) : v));
}
