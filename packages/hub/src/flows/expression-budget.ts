import jsonata from 'jsonata';

/**
 * The budget of one expression evaluation (invariant 8). JSONata's guardrails stop nesting past
 * `depth` (runaway recursion) and sequences past `sequence` (`[1..10000000]`); time is checked as
 * CPU time at every few evaluation steps, so a runaway holds the event loop for about `cpuMs` and
 * a process that is merely descheduled on a busy machine does not fail a good expression. A wall
 * clock limit stays as the backstop.
 */
export const EXPRESSION_BUDGET = { cpuMs: 50, wallMs: 1000, depth: 500, sequence: 100_000 };
/** JSONata's options for that budget. */
export const JSONATA_OPTIONS: jsonata.JsonataOptions = { timeout: EXPRESSION_BUDGET.wallMs, stack: EXPRESSION_BUDGET.depth, sequence: EXPRESSION_BUDGET.sequence };

/** An expression failed for this record (bad data or over its budget), not because the flow is wrong. */
export class MappingError extends Error {
  override name = 'MappingError';
}

const CHECK_EVERY = 16;
const processCpuMs = () => {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1000;
};

/**
 * The evaluation under way. Evaluations run one at a time (each is CPU work on this one thread
 * anyway): interleaved, every expression of a 200-event batch would be charged for the others'.
 */
let current: { wallStart: number; cpuMark?: number; steps: number } | undefined;
let tail: Promise<unknown> = Promise.resolve();

/**
 * Wall time is the cheap first test (reading CPU time is a system call). Once an evaluation has
 * run for the budget by the clock, its CPU time from then on is what counts: a runaway is stopped
 * after at most twice the budget, and one that was merely descheduled goes on.
 */
function onEvaluationStep(): void {
  if (!current || ++current.steps % CHECK_EVERY !== 0 || performance.now() - current.wallStart < EXPRESSION_BUDGET.cpuMs) return;
  const cpu = processCpuMs();
  if (current.cpuMark === undefined) current.cpuMark = cpu;
  else if (cpu - current.cpuMark >= EXPRESSION_BUDGET.cpuMs) throw Object.assign(new Error('cpu budget'), { code: 'HS_CPU' });
}

/** JSONata's guardrail errors, as a message a run record can show. */
function budgetError(error: unknown, text: string): unknown {
  const code = (error as { code?: string }).code;
  const shown = text.length > 80 ? `${text.slice(0, 77)}...` : text;
  if (code === 'HS_CPU') return new MappingError(`expression exceeded ${EXPRESSION_BUDGET.cpuMs} ms: ${shown}`);
  if (code === 'D1012') return new MappingError(`expression ran over ${EXPRESSION_BUDGET.wallMs} ms: ${shown}`);
  if (code === 'D1011') return new MappingError(`expression nested deeper than ${EXPRESSION_BUDGET.depth} (runaway recursion?): ${shown}`);
  if (code === 'D2015') return new MappingError(`expression built a sequence over ${EXPRESSION_BUDGET.sequence.toLocaleString('en')} items: ${shown}`);
  if (error instanceof RangeError) return new MappingError(`expression exceeded its budget (${error.message}): ${shown}`);
  // Other JSONata evaluation errors (a type error on this record's data) are the record's fault too.
  if (code) return new MappingError(`expression failed (${code}: ${(error as { message?: string }).message ?? ''}): ${shown}`);
  return error;
}

/** Compiles a JSONata expression whose every evaluation runs within the budget. */
export function budgetedExpression(text: string): (input: unknown) => Promise<unknown> {
  const compiled = jsonata(text, JSONATA_OPTIONS);
  // JSONata calls this hook at each evaluation step (it looks the hook up by this symbol).
  compiled.assign(Symbol.for('jsonata.__evaluate_entry') as unknown as string, onEvaluationStep);
  return (input) => {
    const run = tail.then(async () => {
      current = { wallStart: performance.now(), steps: 0 };
      try {
        return await compiled.evaluate(input);
      } catch (error) {
        throw budgetError(error, text);
      } finally {
        current = undefined;
      }
    });
    tail = run.catch(() => undefined);
    return run;
  };
}
