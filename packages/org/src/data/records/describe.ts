import type { DataAccess } from '../access/data-access.js';
import type { FieldDef, ObjectDef } from '../schema/fields.js';
import type { SchemaRegistry } from '../schema/registry.js';

const SOAP_TYPES: Record<FieldDef['type'], string> = {
  id: 'tns:ID', reference: 'tns:ID', string: 'xsd:string', textarea: 'xsd:string', email: 'xsd:string', phone: 'xsd:string', url: 'xsd:string',
  picklist: 'xsd:string', multipicklist: 'xsd:string', boolean: 'xsd:boolean', int: 'xsd:int', double: 'xsd:double', currency: 'xsd:double',
  percent: 'xsd:double', date: 'xsd:date', datetime: 'xsd:dateTime', base64: 'xsd:base64Binary',
};

function urls(version: string, object: ObjectDef) {
  const base = `/services/data/${version}/sobjects/${object.name}`;
  return { sobject: base, describe: `${base}/describe`, rowTemplate: `${base}/{ID}` };
}

/** describeGlobal's entry for an object, with the object-level flags as this user has them. */
export function objectSummary(access: DataAccess, object: ObjectDef, version: string) {
  const rights = access.rights(object);
  return {
    activateable: false, createable: rights.create, custom: object.custom, customSetting: false, deepCloneable: false, deletable: rights.delete,
    deprecatedAndHidden: false, feedEnabled: false, hasSubtypes: false, isInterface: false, isSubtype: false, keyPrefix: object.keyPrefix,
    label: object.label, labelPlural: object.labelPlural, layoutable: true, mergeable: false, mruEnabled: false, name: object.name,
    queryable: rights.read, replicateable: true, retrieveable: rights.read, searchable: true, triggerable: true, undeletable: rights.delete,
    updateable: rights.edit, urls: urls(version, object),
  };
}

function describeField(access: DataAccess, object: ObjectDef, f: FieldDef) {
  const editable = access.canEdit(object, f);
  const rights = access.rights(object);
  const numeric = ['int', 'double', 'currency', 'percent'].includes(f.type);
  const text = !numeric && !['boolean', 'date', 'datetime'].includes(f.type);
  return {
    aggregatable: f.type !== 'textarea' && f.type !== 'base64', autoNumber: f.name === 'OrderNumber', byteLength: text ? f.length * 3 : 0,
    calculated: false, calculatedFormula: null, cascadeDelete: f.cascadeDelete, caseSensitive: false, compoundFieldName: null, controllerName: null,
    createable: f.createable && editable && rights.create, custom: f.custom, defaultValue: f.defaultValue, defaultValueFormula: null,
    defaultedOnCreate: f.type === 'boolean' || f.defaultValue !== null || ['Id', 'OwnerId', 'CreatedDate', 'CreatedById', 'LastModifiedDate', 'LastModifiedById', 'SystemModstamp', 'IsDeleted'].includes(f.name),
    dependentPicklist: false, deprecatedAndHidden: false, digits: f.type === 'int' ? f.precision : 0, displayLocationInDecimal: false, encrypted: false,
    externalId: f.externalId, extraTypeInfo: null, filterable: f.type !== 'textarea' && f.type !== 'base64', filteredLookupInfo: null,
    groupable: !numeric && f.type !== 'textarea' && f.type !== 'datetime' && f.type !== 'base64', highScaleNumber: false, htmlFormatted: false,
    idLookup: f.name === 'Id' || f.externalId || f.unique, inlineHelpText: null, label: f.label, length: text ? f.length : 0, mask: null, maskType: null,
    name: f.name, nameField: f.nameField, namePointing: false, nillable: f.nillable, permissionable: f.permissionable,
    picklistValues: f.picklistValues.map((value) => ({ active: true, defaultValue: f.defaultValue === value, label: value, validFor: null, value })),
    polymorphicForeignKey: false, precision: numeric && f.type !== 'int' ? f.precision : 0, queryByDistance: false, referenceTargetField: null,
    referenceTo: f.referenceTo, relationshipName: f.relationshipName, relationshipOrder: null, restrictedDelete: false,
    restrictedPicklist: f.restrictedPicklist, scale: f.scale, searchPrefilterable: false, soapType: SOAP_TYPES[f.type], sortable: f.type !== 'textarea',
    type: f.type, unique: f.unique, updateable: f.updateable && editable && rights.edit, writeRequiresMasterRead: false,
  };
}

/** sobjects/{T}/describe: only the fields the user can read, with createable/updateable as the user has them. */
export function describeObject(schema: SchemaRegistry, access: DataAccess, object: ObjectDef, version: string) {
  return {
    ...objectSummary(access, object, version),
    actionOverrides: [],
    childRelationships: schema.childRelationships(object)
      .filter((r) => access.rights(schema.get(r.childSObject)!).read)
      .map((r) => ({ cascadeDelete: r.cascadeDelete, childSObject: r.childSObject, deprecatedAndHidden: false, field: r.field, junctionIdListNames: [], junctionReferenceTo: [], relationshipName: r.relationshipName, restrictedDelete: false })),
    compactLayoutable: true,
    fields: access.readableFields(object).map((f) => describeField(access, object, f)),
    listviewable: null, lookupLayoutable: null, namedLayoutInfos: [], networkScopeFieldName: null,
    recordTypeInfos: [{ active: true, available: true, defaultRecordTypeMapping: true, developerName: 'Master', master: true, name: 'Master', recordTypeId: '012000000000000AAA', urls: {} }],
    searchLayoutable: true, supportedScopes: [{ label: 'All', name: 'everything' }],
  };
}
