import type { Connector } from './connector.js';
import { http } from './http.js';
import { salesforce } from './salesforce.js';

/** Every connector the hub knows, by app name. */
export const CONNECTORS: Record<string, Connector> = { salesforce, http };
