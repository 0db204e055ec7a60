/** Types for scripts/gen-schema.mjs (imported by test/spec/schema.test.ts and test/config/). */
export const SCHEMA_PATH: string;
export const SCHEMA_ID: string;
export function generateSchema(): Record<string, unknown>;
export function schemaText(): string;
export const CONFIG_SCHEMA_PATH: string;
export const CONFIG_SCHEMA_ID: string;
export function generateConfigSchema(): Record<string, unknown>;
export function configSchemaText(): string;
