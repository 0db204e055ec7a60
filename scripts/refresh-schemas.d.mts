/** Types for scripts/refresh-schemas.mjs (imported by test/targets/vendored-schemas.test.ts). */
export const SCHEMAS_DIR: string;
export interface SchemaSource {
  target: 'compose' | 'gitlab' | 'k8s';
  kind?: string;
  source: 'url' | 'kubernetes-models';
  url?: string;
  version: string;
  licence: string;
  sha256: string;
}
export function readSources(): Record<string, SchemaSource>;
export function generateFromKubernetesModels(sources: Record<string, SchemaSource>): Map<string, string>;
export function checkSchemas(sources?: Record<string, SchemaSource>): string[];
