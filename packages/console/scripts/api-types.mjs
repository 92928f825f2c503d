// The console's API types come from the hub's own OpenAPI document (built by `tsc -b` before this
// runs), so a route or schema change that breaks the console fails its typecheck.
import { writeFileSync } from 'node:fs';
import openapiTS, { astToString } from 'openapi-typescript';
import { openApiDocument } from '@handshake/hub';

const ast = await openapiTS(openApiDocument());
writeFileSync(new URL('../src/api/schema.d.ts', import.meta.url), `// Generated from the hub's OpenAPI document by scripts/api-types.mjs; do not edit.\n${astToString(ast)}`);
