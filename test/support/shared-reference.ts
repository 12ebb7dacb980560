/** Where ../shared/reference is, when this clone has it (CI does; a fresh clone may not). */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';

export const SHARED_REFERENCE = resolve(import.meta.dirname, '../../../shared/reference');
export const OFFICIAL_SCHEMAS = join(SHARED_REFERENCE, 'azure-iot-security/security_message/schemas');
export const OFFICIAL_SAMPLES = join(SHARED_REFERENCE, 'azure-iot-security/security_message/tests/samples.json');
export const HAS_SHARED = existsSync(OFFICIAL_SCHEMAS);
export const NO_SHARED_REASON = `skipped: ${SHARED_REFERENCE} is not on this clone (the official Azure IoT security schemas live there)`;

if (!HAS_SHARED) console.warn(`[conformance] ${NO_SHARED_REASON}`);
