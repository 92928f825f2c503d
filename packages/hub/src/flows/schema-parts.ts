import { z } from 'zod';

/** The pieces flow documents are made of, shared by the flow schema and the action and trigger kinds that declare their own. */

export const DURATION = /^(\d+)\s*(ms|s|m|h)$/;
export function durationMs(text: string): number {
  const m = DURATION.exec(text.trim())!;
  return Number(m[1]) * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2] as 'ms' | 's' | 'm' | 'h'];
}
export const duration = z.string().regex(DURATION, 'must be a duration such as 500ms, 5s or 1m');
/** How long one call may take before it counts as failed (and is retried). */
export const timeout = duration.default('15s');

export const CONVERSIONS = ['string', 'number', 'integer', 'boolean', 'date', 'datetime'] as const;

/** One target field's value: a source path, a constant, a template, a JSONata expression, a lookup or a child list. */
/** When the source has no value (null or missing): a value to use instead, or leave the field out of the record. */
export interface WhenEmpty { default?: string | number | boolean | undefined; omitIfNull?: boolean | undefined }

export type FieldMapping =
  | ({ path: string; type?: (typeof CONVERSIONS)[number] | undefined; values?: Record<string, string> | undefined } & WhenEmpty)
  | ({ expr: string; type?: (typeof CONVERSIONS)[number] | undefined } & WhenEmpty)
  | { const: string | number | boolean | null }
  | { template: string }
  | { lookup: { object: string; field: string; value: string; select?: string | undefined } }
  | { each: string; mapping: Record<string, FieldMapping> };

const conversion = z.enum(CONVERSIONS).optional();
const whenEmpty = {
  default: z.union([z.string(), z.number(), z.boolean()]).optional().describe('the value to use when the source has none (null or missing)'),
  omitIfNull: z.boolean().optional().describe('leave the field out of the record when the value is null or missing, instead of clearing it'),
};
export const fieldMapping: z.ZodType<FieldMapping> = z.lazy(() => z.union([
  z.object({ path: z.string().min(1), type: conversion, values: z.record(z.string(), z.string()).optional(), ...whenEmpty }).strict(),
  z.object({ expr: z.string().min(1), type: conversion, ...whenEmpty }).strict(),
  z.object({ const: z.union([z.string(), z.number(), z.boolean(), z.null()]) }).strict(),
  z.object({ template: z.string() }).strict(),
  z.object({ lookup: z.object({ object: z.string().min(1), field: z.string().min(1), value: z.string().min(1), select: z.string().optional() }).strict() }).strict(),
  z.object({ each: z.string().min(1), mapping: z.record(z.string(), fieldMapping) }).strict(),
])).meta({ id: 'FieldMapping', description: 'One target field\'s value: a source path, a constant, a template, a JSONata expression, a lookup, or a child list (each + mapping).' });

export const objectName = z.string().regex(/^[A-Za-z][A-Za-z0-9_]*$/);

// What every action has: a name (runs and `_steps.<name>` refer to it) and a timeout; Salesforce actions, a connection.
export const actionBase = {
  name: z.string().regex(/^[A-Za-z][A-Za-z0-9_-]*$/),
  timeout,
  /** A JSONata condition on the event (and `_steps`): when false the action is skipped and the next one runs (branches, "create or update"). */
  when: z.string().min(1).optional().describe('run this action only when this JSONata condition is true; otherwise it is skipped'),
};
export const salesforceBase = { ...actionBase, connection: z.string().min(1) };
