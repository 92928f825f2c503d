import { field, lookup, picklist, systemFields, type FieldDef, type ObjectDef, type SharingModel } from './fields.js';

/**
 * The standard objects the org serves, declared as data: key prefixes, fields and relationships as
 * Salesforce names them. Compound fields (addresses, Name on people) are not modelled except
 * Contact/Lead Name, which is computed from FirstName and LastName as in Salesforce.
 */

const computed = { createable: false, updateable: false, permissionable: true } as const;
const text = (name: string, length = 255, options: Parameters<typeof field>[2] = {}) => field(name, 'string', { length, ...options });
const name = (length = 255) => text('Name', length, { required: true, nameField: true, indexed: true });

interface Declaration { name: string; label: string; plural: string; prefix: string; fields: FieldDef[]; sharing?: SharingModel; writable?: boolean; everyoneReads?: true }

const INDUSTRIES = ['Agriculture', 'Banking', 'Chemicals', 'Communications', 'Construction', 'Consulting', 'Education', 'Electronics', 'Energy', 'Engineering', 'Finance', 'Healthcare', 'Insurance', 'Manufacturing', 'Media', 'Retail', 'Technology', 'Transportation', 'Utilities', 'Other'];
const LEAD_SOURCES = ['Web', 'Phone Inquiry', 'Partner Referral', 'Purchased List', 'Other'];

const DECLARATIONS: Declaration[] = [
  {
    name: 'Account', label: 'Account', plural: 'Accounts', prefix: '001',
    fields: [
      name(), text('AccountNumber', 40), picklist('Type', ['Prospect', 'Customer - Direct', 'Customer - Channel', 'Channel Partner / Reseller', 'Installation Partner', 'Technology Partner', 'Other']),
      picklist('Industry', INDUSTRIES), field('Phone', 'phone', { length: 40 }), field('Website', 'url'),
      field('BillingStreet', 'textarea', { length: 255 }), text('BillingCity', 40), text('BillingPostalCode', 20), text('BillingCountry', 80),
      field('AnnualRevenue', 'currency'), field('NumberOfEmployees', 'int', { precision: 8 }), field('Description', 'textarea'),
      lookup('ParentId', 'Account'),
    ],
  },
  {
    name: 'Contact', label: 'Contact', plural: 'Contacts', prefix: '003',
    fields: [
      text('FirstName', 40), text('LastName', 80, { required: true }), text('Name', 121, { ...computed, nameField: true, permissionable: false, indexed: true }),
      lookup('AccountId', 'Account'), field('Email', 'email', { length: 80, indexed: true }), field('Phone', 'phone', { length: 40 }), field('MobilePhone', 'phone', { length: 40 }),
      text('Title', 128), text('Department', 80), field('MailingStreet', 'textarea', { length: 255 }), text('MailingCity', 40), text('MailingPostalCode', 20), text('MailingCountry', 80),
      field('Birthdate', 'date'), field('Description', 'textarea'),
    ],
  },
  {
    name: 'Lead', label: 'Lead', plural: 'Leads', prefix: '00Q',
    fields: [
      text('FirstName', 40), text('LastName', 80, { required: true }), text('Name', 121, { ...computed, nameField: true, permissionable: false, indexed: true }),
      text('Company', 255, { required: true }), field('Email', 'email', { length: 80, indexed: true }), field('Phone', 'phone', { length: 40 }), text('Title', 128),
      picklist('Status', ['Open - Not Contacted', 'Working - Contacted', 'Closed - Converted', 'Closed - Not Converted'], { required: false, defaultValue: 'Open - Not Contacted', restrictedPicklist: true }),
      picklist('LeadSource', LEAD_SOURCES), picklist('Industry', INDUSTRIES), picklist('Rating', ['Hot', 'Warm', 'Cold']),
      field('Street', 'textarea', { length: 255 }), text('City', 40), text('PostalCode', 20), text('Country', 80), field('Description', 'textarea'),
    ],
  },
  {
    name: 'Opportunity', label: 'Opportunity', plural: 'Opportunities', prefix: '006',
    fields: [
      text('Name', 120, { required: true, nameField: true, indexed: true }), lookup('AccountId', 'Account'),
      picklist('StageName', ['Prospecting', 'Qualification', 'Needs Analysis', 'Value Proposition', 'Proposal/Price Quote', 'Negotiation/Review', 'Closed Won', 'Closed Lost'], { required: true, restrictedPicklist: true }),
      field('CloseDate', 'date', { required: true }), field('Amount', 'currency'), field('Probability', 'percent', { precision: 3 }),
      picklist('Type', ['Existing Customer - Upgrade', 'Existing Customer - Replacement', 'Existing Customer - Downgrade', 'New Customer']),
      picklist('LeadSource', LEAD_SOURCES), text('NextStep'), field('Description', 'textarea'), lookup('Pricebook2Id', 'Pricebook2'),
    ],
  },
  {
    name: 'OpportunityLineItem', label: 'Opportunity Product', plural: 'Opportunity Products', prefix: '00k',
    sharing: { kind: 'parent', field: 'OpportunityId', object: 'Opportunity' },
    fields: [
      lookup('OpportunityId', 'Opportunity', { required: true, updateable: false, cascadeDelete: true }), lookup('PricebookEntryId', 'PricebookEntry', { updateable: false }),
      lookup('Product2Id', 'Product2', { updateable: false }), field('Quantity', 'double', { required: true, scale: 2 }), field('UnitPrice', 'currency'),
      field('TotalPrice', 'currency', computed), field('Description', 'textarea', { length: 255 }),
    ],
  },
  {
    name: 'Product2', label: 'Product', plural: 'Products', prefix: '01t', sharing: { kind: 'public' },
    fields: [name(), text('ProductCode', 255, { indexed: true }), field('Description', 'textarea', { length: 4000 }), field('IsActive', 'boolean'), picklist('Family', ['None', 'Hardware', 'Software', 'Services'])],
  },
  {
    name: 'Pricebook2', label: 'Price Book', plural: 'Price Books', prefix: '01s', sharing: { kind: 'public' },
    fields: [name(), field('Description', 'textarea', { length: 255 }), field('IsActive', 'boolean'), field('IsStandard', 'boolean', computed)],
  },
  {
    name: 'PricebookEntry', label: 'Price Book Entry', plural: 'Price Book Entries', prefix: '01u', sharing: { kind: 'public' },
    fields: [
      lookup('Pricebook2Id', 'Pricebook2', { required: true, updateable: false }), lookup('Product2Id', 'Product2', { required: true, updateable: false }),
      field('UnitPrice', 'currency', { required: true }), field('IsActive', 'boolean'), field('UseStandardPrice', 'boolean'),
    ],
  },
  {
    name: 'Order', label: 'Order', plural: 'Orders', prefix: '801',
    fields: [
      lookup('AccountId', 'Account', { required: true }), field('EffectiveDate', 'date', { required: true }),
      picklist('Status', ['Draft', 'Activated'], { required: true, restrictedPicklist: true }),
      text('OrderNumber', 30, { ...computed, nameField: true, indexed: true }), lookup('Pricebook2Id', 'Pricebook2'), field('TotalAmount', 'currency', computed),
      field('Description', 'textarea'), text('BillingCity', 40), text('ShippingCity', 40),
    ],
  },
  {
    name: 'OrderItem', label: 'Order Product', plural: 'Order Products', prefix: '802',
    sharing: { kind: 'parent', field: 'OrderId', object: 'Order' },
    fields: [
      lookup('OrderId', 'Order', { required: true, updateable: false, cascadeDelete: true, relationshipName: 'Order' }), lookup('PricebookEntryId', 'PricebookEntry', { updateable: false }),
      lookup('Product2Id', 'Product2', { updateable: false }), field('Quantity', 'double', { required: true, scale: 2 }), field('UnitPrice', 'currency', { required: true }),
      field('TotalPrice', 'currency', computed), field('Description', 'textarea', { length: 255 }),
    ],
  },
  {
    name: 'ContentVersion', label: 'Content Version', plural: 'Content Versions', prefix: '068', sharing: { kind: 'files' },
    fields: [
      text('Title', 255, { required: false, nameField: true, indexed: true }), text('PathOnClient', 500, { required: true, updateable: false }),
      field('VersionData', 'base64', { required: true, updateable: false, permissionable: false }),
      lookup('ContentDocumentId', 'ContentDocument', { updateable: false }), lookup('FirstPublishLocationId', 'Account', { updateable: false, relationshipName: 'FirstPublishLocation' }),
      field('Description', 'textarea', { length: 1000 }), field('ContentSize', 'int', computed), field('FileExtension', 'string', { ...computed, length: 40 }),
      text('VersionNumber', 20, computed), field('IsLatest', 'boolean', computed),
    ],
  },
  {
    name: 'ContentDocument', label: 'Content Document', plural: 'Content Documents', prefix: '069', sharing: { kind: 'files' },
    fields: [
      text('Title', 255, { nameField: true, indexed: true, createable: false }), lookup('LatestPublishedVersionId', 'ContentVersion', computed),
      text('FileType', 20, computed), field('ContentSize', 'int', computed), field('FileExtension', 'string', { ...computed, length: 40 }),
    ],
  },
  {
    name: 'ContentDocumentLink', label: 'Content Document Link', plural: 'Content Document Links', prefix: '06A', sharing: { kind: 'files' },
    fields: [
      lookup('ContentDocumentId', 'ContentDocument', { required: true, updateable: false, cascadeDelete: true }),
      lookup('LinkedEntityId', 'Account', { required: true, updateable: false, relationshipName: 'LinkedEntity' }),
      picklist('ShareType', ['V', 'C', 'I'], { defaultValue: 'V', restrictedPicklist: true }), picklist('Visibility', ['AllUsers', 'InternalUsers', 'SharedUsers'], { defaultValue: 'AllUsers', restrictedPicklist: true }),
    ],
  },
  {
    // Every Salesforce user can read users (sf reads its own Username after an access-token login).
    name: 'User', label: 'User', plural: 'Users', prefix: '005', sharing: { kind: 'public' }, writable: false, everyoneReads: true,
    fields: [
      text('Username', 80, { required: true, indexed: true, unique: true }), text('Name', 121, { ...computed, nameField: true, permissionable: false, indexed: true }),
      field('Email', 'email', { length: 128, required: true }), text('FirstName', 40), text('LastName', 80, { required: true }),
      field('IsActive', 'boolean'), text('ProfileId', 18), text('ProfileName', 80, computed),
    ],
  },
  {
    // One row, the org itself: @salesforce/core reads it after every login (edition, sandbox or not).
    name: 'Organization', label: 'Organization', plural: 'Organizations', prefix: '00D', sharing: { kind: 'public' }, writable: false, everyoneReads: true,
    fields: [
      text('Name', 80, { ...computed, nameField: true }), text('InstanceName', 5, computed), field('IsSandbox', 'boolean', computed),
      field('TrialExpirationDate', 'datetime', computed), text('NamespacePrefix', 15, computed), text('OrganizationType', 40, computed),
      text('LanguageLocaleKey', 40, computed), text('TimeZoneSidKey', 40, computed), text('DefaultLocaleSidKey', 40, computed),
    ],
  },
];

/** Polymorphic lookups whose targets this org cannot list exhaustively point at any record. */
export const POLYMORPHIC_FIELDS: Record<string, true> = { 'ContentDocumentLink.LinkedEntityId': true, 'ContentVersion.FirstPublishLocationId': true };

export const STANDARD_OBJECT_DEFS: readonly ObjectDef[] = DECLARATIONS.map((d) => ({
  name: d.name,
  label: d.label,
  labelPlural: d.plural,
  keyPrefix: d.prefix,
  custom: false,
  // ContentDocumentLink has no owner of its own in Salesforce; it is kept for uniformity and not shown.
  fields: [...systemFields(d.name), ...d.fields],
  sharing: d.sharing ?? { kind: 'owner' },
  writable: d.writable ?? true,
  ...(d.everyoneReads ? { everyoneReads: true as const } : {}),
}));
