import { didYouMean } from '../did-you-mean.js';
import type { HubContext } from '../../context.js';
import type { FlowTrigger } from '../definition.js';
import { durationMs } from '../definition.js';
import { salesforceCall } from '../calls/clients.js';
import { PermanentError } from '../calls/errors.js';
import type { PollResult, PollScope, TriggerSession } from './trigger.js';
import { bulkStep, startBulkRead, type BulkRead } from './salesforce-bulk-read.js';
import { ChangeStream, StreamLost } from './salesforce-stream.js';
import { z } from 'zod';
import type { SaveCheck } from '../actions/action-kind.js';
import { duration, objectName, timeout } from '../schema-parts.js';

type SalesforceTrigger = Extract<FlowTrigger, { type: 'salesforce' }>;
/**
 * Where a trigger stands. `stamp`/`id`: the last record version read by (SystemModstamp, Id), or, when
 * streaming, the commit time of the last change event. `replayId`: the last change event queued
 * (mode cdc). `catchingUp`: records are being read by pages to close a gap before streaming
 * resumes. `bulk`: a Bulk API read in progress.
 */
interface Cursor { stamp: string; id: string; replayId?: number; catchingUp?: boolean; bulk?: BulkRead }

/** A gap bigger than this is read through a Bulk API query job (`backfill: bulk`): Salesforce's guidance is Bulk API above 2,000 records. */
const BULK_ABOVE = 2000;
const EPOCH = '1970-01-01T00:00:00.000Z';

/** A stamp as the REST API writes it, whichever API read it, so one record version has one dedupe key. */
const restStamp = (stamp: unknown) => new Date(String(stamp).replace('+0000', 'Z')).toISOString().replace('Z', '+0000');
const dedupeKey = (record: Record<string, unknown>) => `${String(record.Id)}:${restStamp(record.SystemModstamp)}`;
const soqlDateTime = (iso: string) => iso.replace(/\.\d{3}\+0000$/, '.000Z').replace('+0000', 'Z');
const toEvents = (records: Record<string, unknown>[]) => records.map((record) => ({ dedupeKey: dedupeKey(record), recordKey: String(record.Id), payload: record }));

export const salesforceTrigger = z.object({
  type: z.literal('salesforce'),
  connection: z.string().min(1),
  object: objectName,
  fields: z.array(z.string().regex(/^[A-Za-z][A-Za-z0-9_.]*$/)).min(1).describe('the fields each event carries (relationship paths allowed)'),
  children: z.record(z.string().regex(/^[A-Za-z][A-Za-z0-9_]*$/), z.array(z.string().regex(/^[A-Za-z][A-Za-z0-9_.]*$/)).min(1)).default({}),
  where: z.string().optional().describe('a SOQL condition the records must meet'),
  interval: duration.default('5s').describe('how often to poll'),
  overlap: duration.default('2s').describe('how far behind the cursor each poll reads again, for transactions committed late'),
  batchSize: z.number().int().min(1).max(2000).default(200),
  mode: z.enum(['poll', 'cdc']).default('poll').describe('poll: read changed records every interval. cdc: subscribe to the object\'s Change Data Capture events (the object must be enabled for it) and read each changed record as it commits; the replay id is stored with the events queued, and a gap (a first start, a replay id past retention) is read by pages first. Deletes are not events in either mode'),
  backfill: z.enum(['rest', 'bulk']).default('rest').describe(`how a first sync, or a gap of more than ${BULK_ABOVE} records, is read: REST query pages, or one Bulk API 2.0 query job (no child relationships)`),
  timeout,
}).strict().meta({ id: 'SalesforceTrigger', description: 'Records of a Salesforce object created or changed: polled by SystemModstamp, or streamed by Change Data Capture.' });

/** Save-time checks: the connection reads the object, its fields and its child relationships. */
export async function checkSalesforceTrigger(v: SaveCheck, trigger: z.infer<typeof salesforceTrigger>): Promise<void> {
  if (!(await v.salesforceConnection(['trigger', 'connection'], trigger.connection))) return;
  const d = await v.describe(trigger.connection, trigger.object);
  if (typeof d === 'string') return v.problem(['trigger', 'object'], d);
  trigger.fields.forEach((f, i) => {
    if (!f.includes('.') && !d.fields.some((x) => x.name.toLowerCase() === f.toLowerCase())) v.problem(['trigger', 'fields', i], `unknown field ${f} on ${trigger.object}${didYouMean(f, d.fields.map((x) => x.name))}`);
  });
  for (const rel of Object.keys(trigger.children)) {
    if (!d.childRelationships.some((r) => r.relationshipName?.toLowerCase() === rel.toLowerCase())) v.problem(['trigger', 'children', rel], `${trigger.object} has no child relationship ${rel}`);
  }
  if (trigger.backfill === 'bulk' && Object.keys(trigger.children).length) v.problem(['trigger', 'backfill'], 'a Bulk API query cannot read child relationships: use backfill: rest, or leave children out');
  if (trigger.mode === 'cdc') {
    const refused = await streamRefusal(v.ctx, trigger);
    if (refused) v.problem(['trigger', 'mode'], refused);
  }
}

/** The Change Data Capture channel of an object: `/data/AccountChangeEvent`, `/data/Invoice__ChangeEvent` for `Invoice__c`. */
const changeChannel = (object: string) => `/data/${object.replace(/__c$/, '__')}ChangeEvent`;

/**
 * Whether the org refuses to stream the object's changes to this connection (the object is not
 * enabled for Change Data Capture, or its user may not read it): a subscription is tried and ended.
 * An org that does not answer is not a refusal; the describe check reports that.
 */
async function streamRefusal(ctx: HubContext, trigger: SalesforceTrigger): Promise<string | undefined> {
  const stream = new ChangeStream(ctx, trigger.connection, changeChannel(trigger.object));
  try {
    await stream.subscribe(-1);
    return undefined;
  } catch (error) {
    return error instanceof PermanentError ? `${error.message} (is ${trigger.object} enabled for Change Data Capture in the org? Setup → Change Data Capture; the org's setup file: changeDataCapture)` : undefined;
  } finally {
    await stream.close();
  }
}

/**
 * The changes of a Salesforce trigger since its cursor: a Bulk API read when one is under way or the
 * gap calls for one, then the change stream (mode cdc) or REST pages (mode poll).
 */
export async function pollSalesforce(ctx: HubContext, trigger: SalesforceTrigger, cursorText: string | undefined, scope: PollScope): Promise<PollResult & { nextAt?: number }> {
  const cursor: Cursor | undefined = cursorText ? JSON.parse(cursorText) as Cursor : undefined;
  if (trigger.mode === 'cdc') return streamChanges(ctx, trigger, cursor, scope);
  const session = scope.session(() => ({ counted: false, close: async () => undefined }));
  // A lane's first poll (a first sync, or the first after a restart or a pause) sizes the gap once.
  const first = !session.counted;
  session.counted = true;
  return readChanges(ctx, trigger, cursor ?? { stamp: EPOCH, id: '' }, scope, first);
}

/**
 * Records changed after the cursor, by pages: through a Bulk API job when one is under way, or when
 * `backfill: bulk` and `sizeGap` find more than BULK_ABOVE records waiting; otherwise one REST page.
 */
async function readChanges(ctx: HubContext, trigger: SalesforceTrigger, cursor: Cursor, scope: PollScope, sizeGap: boolean): Promise<PollResult & { nextAt?: number }> {
  if (cursor.bulk) return readBulk(ctx, trigger, cursor, scope, cursor.bulk);
  if (sizeGap && trigger.backfill === 'bulk' && await changedSince(ctx, trigger, cursor.stamp) > BULK_ABOVE) {
    const soql = `SELECT ${selectFields(trigger).join(', ')} FROM ${trigger.object} WHERE SystemModstamp > ${soqlDateTime(cursor.stamp)}${trigger.where ? ` AND (${trigger.where})` : ''}`;
    const bulk = await startBulkRead(ctx, trigger.connection, soql);
    scope.notice(`reading the records changed since ${cursor.stamp} through Bulk API job ${bulk.job}`);
    return { events: [], cursor: JSON.stringify({ ...cursor, bulk }), more: true };
  }
  return readPage(ctx, trigger, cursor, scope);
}

async function readBulk(ctx: HubContext, trigger: SalesforceTrigger, cursor: Cursor, scope: PollScope, bulk: BulkRead): Promise<PollResult & { nextAt?: number }> {
  const step = await bulkStep(ctx, trigger.connection, trigger.object, bulk);
  const { bulk: _done, ...rest } = cursor;
  if (step.kind === 'waiting') return { events: [], cursor: JSON.stringify(cursor), more: true, nextAt: step.nextAt };
  if (step.kind === 'failed') {
    scope.notice(`${step.reason}; reading by REST pages instead`);
    return { events: [], cursor: JSON.stringify(rest), more: true };
  }
  // Once read, REST pages go on from the job's start, less the overlap: whatever changed while it ran is read again.
  const after: Cursor = step.locator ? { ...cursor, bulk: { ...bulk, locator: step.locator } } : { ...rest, stamp: new Date(Date.parse(bulk.startedAt) - durationMs(trigger.overlap)).toISOString(), id: '' };
  return { events: toEvents(step.records), cursor: JSON.stringify(after), more: true };
}

async function changedSince(ctx: HubContext, trigger: SalesforceTrigger, stamp: string): Promise<number> {
  const soql = `SELECT COUNT() FROM ${trigger.object} WHERE SystemModstamp > ${soqlDateTime(stamp)}${trigger.where ? ` AND (${trigger.where})` : ''}`;
  const { body } = await salesforceCall(ctx, trigger.connection, `/query?q=${encodeURIComponent(soql)}`, { timeoutMs: durationMs(trigger.timeout) });
  return (body as { totalSize: number }).totalSize;
}

const selectFields = (trigger: SalesforceTrigger) => [...new Set(['Id', 'SystemModstamp', ...trigger.fields])];

async function queryRecords(ctx: HubContext, trigger: SalesforceTrigger, where: string, limit: number, select = [...selectFields(trigger), ...childQueries(trigger)]): Promise<Record<string, unknown>[]> {
  const soql = `SELECT ${select.join(', ')} FROM ${trigger.object} WHERE ${where}${trigger.where ? ` AND (${trigger.where})` : ''} ORDER BY SystemModstamp, Id LIMIT ${limit}`;
  const { body } = await salesforceCall(ctx, trigger.connection, `/query?q=${encodeURIComponent(soql)}`, { timeoutMs: durationMs(trigger.timeout) });
  return (body as { records: Record<string, unknown>[] }).records;
}

const childQueries = (trigger: SalesforceTrigger) => Object.entries(trigger.children).map(([rel, list]) => `(SELECT ${list.join(', ')} FROM ${rel})`);

/** The records with these ids, as the trigger reads them (its fields, children and condition). */
async function recordsById(ctx: HubContext, trigger: SalesforceTrigger, ids: string[]): Promise<Record<string, unknown>[]> {
  const out: Record<string, unknown>[] = [];
  // Ids come from the source's own answers (15/18 alphanumerics), checked before they are quoted.
  const safe = ids.filter((id) => /^[A-Za-z0-9]{15,18}$/.test(id));
  for (let i = 0; i < safe.length; i += 200) out.push(...await queryRecords(ctx, trigger, `Id IN ('${safe.slice(i, i + 200).join("','")}')`, 200));
  return out;
}

/**
 * Change polling of a Salesforce object on SystemModstamp, as integrators do it: pages in
 * (SystemModstamp, Id) order continue after the last record seen, and once caught up each poll also
 * re-reads an overlap window behind the cursor, so a change committed late with an older stamp is
 * still seen.
 * Every change is keyed by Id + SystemModstamp, so re-reading never queues it twice. The window is
 * read as Ids and stamps only, and just the versions not queued yet are read in full: after a bulk
 * load the window holds thousands of records, re-read every poll.
 */
async function readPage(ctx: HubContext, trigger: SalesforceTrigger, cursor: Cursor, scope: PollScope): Promise<PollResult> {
  const stamp = soqlDateTime(cursor.stamp);
  const forward = await queryRecords(ctx, trigger, `(SystemModstamp > ${stamp} OR (SystemModstamp = ${stamp} AND Id > '${cursor.id || '000000000000000'}'))`, trigger.batchSize);
  // The overlap window is re-read only at the head of the stream: late commits land there, and a
  // backfill that re-read 2,000 records per page would spend most of its time on duplicates.
  const atHead = forward.length < trigger.batchSize;
  const overlapStart = new Date(Date.parse(cursor.stamp) - durationMs(trigger.overlap)).toISOString();
  const window = cursor.id && atHead ? await queryRecords(ctx, trigger, `SystemModstamp >= ${overlapStart} AND SystemModstamp <= ${stamp}`, 2000, ['Id', 'SystemModstamp']) : [];
  const known = await scope.known(window.map(dedupeKey));
  const behind = await recordsById(ctx, trigger, window.filter((record) => !known.has(dedupeKey(record))).map((record) => String(record.Id)));
  const last = forward[forward.length - 1];
  const next: Cursor = last ? { ...cursor, stamp: String(last.SystemModstamp).replace('+0000', 'Z'), id: String(last.Id) } : cursor;
  return { events: toEvents([...behind, ...forward]), cursor: JSON.stringify(next), more: !atHead };
}

/** What a cdc trigger keeps between polls: its subscription. */
class StreamSession implements TriggerSession {
  constructor(readonly stream: ChangeStream) {}
  close(): Promise<void> {
    return this.stream.close();
  }
}

/** Change types whose records are read and queued; a delete leaves nothing to read (as with polling). */
const READ_CHANGES = /^(GAP_)?(CREATE|UPDATE|UNDELETE)$/;

/**
 * Mode cdc. The subscription always matches the stored cursor: a new lane, a result that was not
 * committed, or a lost client subscribes again from the stored replay id. With no replay id stored
 * (a first start), or one past retention, it subscribes from now and then reads the gap by pages
 * from the cursor's stamp, so nothing committed before the subscription is missed; events that
 * overlap the pages share their dedupe keys (Id + SystemModstamp) and are queued once.
 * Each event's records are read by Id with the trigger's fields and children, so a flow maps the
 * same payload in either mode; GAP_* events are read the same way, and GAP_OVERFLOW (or a wildcard
 * record id) reads by pages.
 */
async function streamChanges(ctx: HubContext, trigger: SalesforceTrigger, stored: Cursor | undefined, scope: PollScope): Promise<PollResult & { nextAt?: number }> {
  let cursor: Cursor = stored ?? { stamp: EPOCH, id: '', catchingUp: true };
  const { stream } = scope.session(() => new StreamSession(new ChangeStream(ctx, trigger.connection, changeChannel(trigger.object))));
  let sizeGap = false;
  if (stream.position !== (cursor.replayId ?? 'tip')) {
    if (cursor.replayId !== undefined && await stream.subscribe(cursor.replayId) === 'aged-out') {
      scope.notice(`replay id ${cursor.replayId} is past the org's event retention; reading the records changed since ${cursor.stamp} to close the gap, then streaming`);
      const { replayId: _aged, ...rest } = cursor;
      cursor = { ...rest, catchingUp: true };
    }
    if (cursor.replayId === undefined) {
      await stream.subscribe(-1);
      cursor = { ...cursor, catchingUp: true };
      sizeGap = true;
    }
  }
  if (cursor.catchingUp) {
    const page = await readChanges(ctx, trigger, cursor, scope, sizeGap);
    const next = JSON.parse(page.cursor) as Cursor;
    return { ...page, cursor: JSON.stringify({ ...next, catchingUp: page.more }), more: true };
  }
  let deliveries;
  try {
    deliveries = await stream.next();
  } catch (error) {
    // The org forgot the client (it restarted, or the client sat idle through a long catch-up): the
    // next turn subscribes again from the stored cursor.
    if (error instanceof StreamLost) return { events: [], cursor: JSON.stringify(cursor), more: true, nextAt: ctx.now() + 200 };
    throw error;
  }
  if (!deliveries.length) return { events: [], cursor: JSON.stringify(cursor), more: true };
  const last = deliveries[deliveries.length - 1]!;
  const ids = [...new Set(deliveries.filter((d) => READ_CHANGES.test(d.header.changeType)).flatMap((d) => d.header.recordIds))];
  // A wildcard id (`001*`, after some field type changes) names no record either: both are read by pages.
  const overflow = deliveries.some((d) => d.header.changeType === 'GAP_OVERFLOW' || d.header.recordIds.some((id) => id.includes('*')));
  if (overflow) scope.notice('the org sent GAP_OVERFLOW or a wildcard record id (changes too many to name); reading the changed records by pages');
  const next: Cursor = { stamp: new Date(last.header.commitTimestamp).toISOString(), id: '', replayId: last.replayId, ...(overflow ? { catchingUp: true } : {}) };
  // An overflow's pages start at the stream's last stamp before it, so its records are among them.
  if (overflow) next.stamp = cursor.stamp;
  return { events: toEvents(await recordsById(ctx, trigger, ids)), cursor: JSON.stringify(next), more: true };
}
