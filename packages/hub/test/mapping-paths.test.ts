import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import jsonata from 'jsonata';
import { JSONATA_OPTIONS } from '../src/flows/expression-budget.js';
import { expression } from '../src/flows/mapping.js';

// Plain field paths are read without JSONata's evaluator; whatever the input, the answer must be
// the one JSONata itself gives (for `evaluateList`, JSONata's answer as a list).
const inputs: unknown[] = [
  { Id: '801A', Account: { Name: 'Acme' }, OrderItems: { records: [{ Quantity: 2 }] } },
  { Id: '801B', Account: { Name: 'Globex' }, OrderItems: { records: [{ Quantity: 1 }, { Quantity: 3 }] } },
  { Id: '801C', Account: null, OrderItems: null },
  { Id: '801D', OrderItems: { records: [] } },
  { Id: 0, Account: { Name: false }, OrderItems: { records: [[{ Quantity: 1 }], [{ Quantity: 2 }]] } },
  { Account: [{ Name: 'one' }, { Name: 'two' }], OrderItems: [{ records: [{ Quantity: 4 }] }, { records: [{ Quantity: 5 }] }] },
  { Account: { Name: { First: 'nested' } }, OrderItems: { records: [null, { Quantity: 1 }] } },
  { Account: { Name: ['a', 'b'] }, OrderItems: { records: [1, 2] } },
  { Account: { Name: ['only'] }, OrderItems: { records: { Quantity: 9 } } },
  [{ Id: 'in an array' }, { Id: 'twice' }],
  'text',
  42,
  null,
  { constructor: 'own', toString: { Name: 'shadow' } },
  {},
];
const paths = ['Id', 'Account.Name', 'Account.Name.First', 'OrderItems.records', 'OrderItems.records.Quantity', 'Missing.Field', 'constructor', 'toString.Name', 'hasOwnProperty'];
// JSONata marks its sequences with own properties (a flag, and a length-guarding push under a
// sequence budget); the values are what is compared.
const values = (value: unknown): unknown => (Array.isArray(value) ? value.map(values) : value);
const toList = (value: unknown): unknown[] => (value === undefined || value === null ? [] : Array.isArray(value) ? [...value] : [value]);

describe('mapping: plain field paths', () => {
  for (const path of paths) {
    it(`${path} reads as JSONata reads it, for every input`, async () => {
      const reference = jsonata(path, JSONATA_OPTIONS);
      for (const input of inputs) {
        const expected = await reference.evaluate(input);
        assert.deepEqual(values(await expression(path).evaluate(input)), values(expected), `${path} of ${JSON.stringify(input)}`);
        assert.deepEqual(values(await expression(path).evaluateList(input)), values(toList(expected)), `${path} as a list, of ${JSON.stringify(input)}`);
      }
    });
  }

  it('words JSONata reads as values are not field paths', async () => {
    assert.equal(await expression('true').evaluate({ true: 'field' }), true);
    assert.equal(await expression('null').evaluate({ null: 'field' }), null);
  });
});
