import { extname } from 'node:path';
import { sql } from 'kysely';
import { newRecordId } from '../../ids/salesforce-id.js';
import type { DataAccess } from '../access/data-access.js';
import { DmlError, recordError } from '../data-error.js';
import { createRecords, type SaveResult } from '../records/dml.js';
import type { DataService } from '../service.js';
import { tableName } from '../store/record-tables.js';
import type { StoredBlob } from './blob-store.js';
import { normalizeId } from '../records/values.js';

/**
 * Inserting a ContentVersion: without ContentDocumentId it creates the ContentDocument it is
 * version 1 of; with one, it becomes the document's latest version. FirstPublishLocationId links
 * the document to that record, which is how others get to read it.
 */
export async function createContentVersion(service: DataService, access: DataAccess, fields: Record<string, unknown>, blob: StoredBlob): Promise<SaveResult> {
  const versions = service.schema.get('ContentVersion')!;
  const documents = service.schema.get('ContentDocument')!;
  const stamp = service.clock.next();
  const path = typeof fields.PathOnClient === 'string' ? fields.PathOnClient : '';
  const extension = extname(path).slice(1).toLowerCase() || null;
  const title = typeof fields.Title === 'string' && fields.Title ? fields.Title : path.replace(/\.[^.]*$/, '');
  const existingDoc = typeof fields.ContentDocumentId === 'string' ? fields.ContentDocumentId : undefined;

  let documentId: string;
  let versionNumber = 1;
  if (existingDoc) {
    const editable = await service.visibleIds(access, documents, [existingDoc], 'edit');
    if (!editable.has(existingDoc)) throw new DmlError([recordError('INSUFFICIENT_ACCESS_ON_CROSS_REFERENCE_ENTITY', `insufficient access rights on cross-reference id: ${existingDoc}`, ['ContentDocumentId'])]);
    const { rows } = await sql<{ n: number | string | null }>`SELECT COUNT(*) AS n FROM ${sql.table(tableName(versions))} WHERE ${sql.ref('ContentDocumentId')} = ${existingDoc}`.execute(service.db);
    versionNumber = Number(rows[0]?.n ?? 0) + 1;
    documentId = existingDoc;
  } else {
    documentId = newRecordId(documents.keyPrefix);
  }
  const { ContentDocumentId: _ignored, ...body } = fields;
  const [result] = await createRecords(service, access, versions, [{ ...body, Title: title }], {
    allOrNone: true,
    internal: { VersionData: blob.key, ContentDocumentId: documentId, ContentSize: blob.size, FileExtension: extension, VersionNumber: String(versionNumber), IsLatest: 1 },
  });
  if (!result!.success) throw new DmlError(result!.errors);

  await service.transact(async ({ db: trx }) => {
    const documentValues = { Title: title, LatestPublishedVersionId: result!.id, FileType: extension?.toUpperCase() ?? 'UNKNOWN', ContentSize: blob.size, FileExtension: extension, LastModifiedDate: stamp, LastModifiedById: access.userId, SystemModstamp: stamp };
    if (existingDoc) {
      await trx.updateTable(tableName(versions)).set({ IsLatest: 0 }).where('ContentDocumentId', '=', documentId).where('Id', '<>', result!.id).execute();
      await trx.updateTable(tableName(documents)).set(documentValues).where('Id', '=', documentId).execute();
    } else {
      await trx.insertInto(tableName(documents)).values({ Id: documentId, OwnerId: access.userId, IsDeleted: 0, CreatedDate: stamp, CreatedById: access.userId, ...documentValues }).execute();
    }
    const location = typeof fields.FirstPublishLocationId === 'string' ? fields.FirstPublishLocationId : undefined;
    if (location && !existingDoc) {
      const links = service.schema.get('ContentDocumentLink')!;
      await trx.insertInto(tableName(links)).values({
        Id: newRecordId(links.keyPrefix), OwnerId: access.userId, IsDeleted: 0, CreatedDate: stamp, CreatedById: access.userId, LastModifiedDate: stamp, LastModifiedById: access.userId, SystemModstamp: stamp,
        ContentDocumentId: documentId, LinkedEntityId: normalizeId(location), ShareType: 'V', Visibility: 'AllUsers',
      }).execute();
    }
  });
  return result!;
}
