import type { DataAccess } from '../access/data-access.js';
import type { FieldDef, FieldType, ObjectDef } from '../schema/fields.js';
import type { DataService } from '../service.js';
import { parseSoql, SoqlCompiler, type OutputNode } from './compile.js';

/** One column of `query?columns=true`, with the keys `sf data query` reads (jetstream's QueryColumnsSfdc). */
export interface QueryColumn {
  aggregate: boolean;
  apexType: string | null;
  booleanType: boolean;
  columnName: string;
  custom: boolean;
  displayName: string;
  foreignKeyName: string | null;
  insertable: boolean;
  joinColumns: QueryColumn[];
  numberType: boolean;
  textType: boolean;
  updatable: boolean;
}

export interface QueryColumns { columnMetadata: QueryColumn[]; entityName: string; groupBy: boolean; idSelected: boolean; keyPrefix: string | null }

const APEX_TYPES: Record<FieldType, string> = {
  id: 'Id', reference: 'Id', string: 'String', textarea: 'String', email: 'String', phone: 'String', url: 'String', picklist: 'String',
  multipicklist: 'String', boolean: 'Boolean', int: 'Integer', double: 'Double', currency: 'Decimal', percent: 'Double', date: 'Date',
  datetime: 'Datetime', base64: 'Blob',
};
const TEXT: ReadonlySet<FieldType> = new Set(['string', 'textarea', 'email', 'phone', 'url', 'picklist', 'multipicklist']);
const NUMBER: ReadonlySet<FieldType> = new Set(['int', 'double', 'currency', 'percent']);

function fieldColumn(field: FieldDef, columnName = field.name, aggregate = false, displayName = columnName): QueryColumn {
  return {
    aggregate, apexType: APEX_TYPES[field.type], booleanType: field.type === 'boolean', columnName, custom: field.custom, displayName,
    foreignKeyName: null, insertable: field.createable, joinColumns: [], numberType: NUMBER.has(field.type), textType: TEXT.has(field.type), updatable: field.updateable,
  };
}

const empty = (columnName: string, aggregate: boolean): QueryColumn => ({
  aggregate, apexType: null, booleanType: false, columnName, custom: false, displayName: columnName, foreignKeyName: null,
  insertable: false, joinColumns: [], numberType: false, textType: false, updatable: false,
});

function columns(nodes: OutputNode[], object: ObjectDef): QueryColumn[] {
  return nodes.map((node) => {
    switch (node.kind) {
      case 'field':
        return fieldColumn(node.field);
      case 'parent': {
        const lookup = object.fields.find((f) => f.relationshipName === node.name);
        return { ...empty(node.name, false), foreignKeyName: lookup?.name ?? null, joinColumns: columns(node.children, node.object) };
      }
      case 'child':
        return { ...empty(node.name, true), joinColumns: columns(node.query.output, node.query.object) };
      case 'aggregate':
        return node.field
          ? fieldColumn(node.field, node.name, true, node.label ?? node.name)
          : { ...empty(node.name, true), displayName: node.label ?? node.name, apexType: 'Integer', numberType: true };
    }
  });
}

/**
 * What `query?q=…&columns=true` answers: the query's columns, resolved with the caller's access
 * exactly as the query itself (a hidden field is a MALFORMED_QUERY here too), and no records.
 */
export async function queryColumns(service: DataService, access: DataAccess, soql: string): Promise<QueryColumns> {
  const compiled = await new SoqlCompiler(service, access, soql, false).compile(parseSoql(soql));
  return {
    columnMetadata: columns(compiled.output, compiled.object),
    entityName: compiled.object.name,
    groupBy: compiled.aggregate,
    idSelected: compiled.output.some((n) => n.kind === 'field' && n.field.name === 'Id'),
    keyPrefix: compiled.object.keyPrefix,
  };
}
