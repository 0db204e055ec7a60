/** Types for scripts/gen-schema.mjs (imported by test/spec/schema.test.ts). */
export const SCHEMA_PATH: string;
export const SCHEMA_ID: string;
export function generateSchema(): Record<string, unknown>;
export function schemaText(): string;
