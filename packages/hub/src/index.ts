export { startHub, openHub, type HubOptions, type RunningHub } from './start.js';
export { createApiKey, API_SCOPES, type ApiScope } from './api-keys/api-keys.js';
export { rotateMasterKey } from './vault/rotate-master-key.js';
export { Secret } from './vault/secret.js';
export { connectionClient } from './connections/connections.js';
export { callout } from './credentials/named-credentials.js';
export { registerUsage, unregisterUsage, listUsages, type Usage } from './connections/usages.js';
