import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { progressLine, progressTable, type FlowProgress } from '../src/demo/progress.js';

const rows: FlowProgress[] = [
  { name: 'crm-order-to-erp-sales-order', status: 'active', ok: 1234, failed: 2, dead: 1, backlog: 17, lagMs: 2500, lastError: 'HTTP 400: {"title":"line quantity must be positive"}' },
  { name: 'erp-contact-to-lead', status: 'paused', ok: 9, failed: 0, dead: 0, backlog: 3, lagMs: 61_000, lastError: null },
];

describe('the demo\'s progress', () => {
  it('is a table for a terminal: one row per flow, paused flows marked, every line within the width', () => {
    const lines = progressTable(rows, 'traffic: 10 contacts, 5 orders made', 80);
    assert.equal(lines.length, 4);
    assert.match(lines[1]!, /^flow +ok +failed +dead +backlog +lag +last error$/);
    assert.match(lines[2]!, /^crm-order-to-erp-sales-order +1234 +2 +1 +17 +2\.5s +HTTP 400/);
    assert.match(lines[3]!, /^erp-contact-to-lead \(paused\) +9 +0 +0 +3 +61\.0s +-$/);
    assert.ok(lines.every((line) => line.length <= 80), lines.join('\n'));
    assert.ok(lines[2]!.endsWith('…'), 'a long error is cut, not wrapped');
  });

  it('is one plain line for a file or a pipe', () => {
    const line = progressLine(rows, 'no traffic');
    assert.equal(line.includes('\n') || line.includes('\r'), false);
    assert.match(line, /crm-order-to-erp-sales-order: 1234 ok, 2 retried, 1 dead, backlog 17, lag 2\.5s \| erp-contact-to-lead \(paused\): 9 ok/);
  });
});
