/**
 * A spec dataset URI (`inputs`/`outputs`) → OpenLineage dataset namespace + name, by the OpenLineage naming
 * conventions (openlineage.io/docs/spec/naming):
 *   s3://bucket/path/key          → namespace s3://bucket,            name path/key      (also gs://, abfss://, hdfs://…)
 *   postgres://host:port/db.s.t   → namespace postgres://host:port,   name db.s.t        (mysql://, sqlserver://…)
 *   file:///abs/path, file://rel  → namespace file,                   name /abs/path
 *   warehouse://schema.table      → namespace warehouse,              name schema.table  (no path: the name is the host)
 *   warehouse://staging/t/ds=…    → namespace warehouse://staging,    name t/ds=…
 * Anything else is not a dataset URI (`datasetUriProblem` says why; validate reports it as PW220).
 */

export interface DatasetId {
  namespace: string;
  name: string;
}

const URI = /^([a-z][a-z0-9+.-]*):\/\/([^/?#\s]*)(\/[^\s]*)?$/;

/** Why `text` is not a dataset URI, or undefined when it is one. */
export function datasetUriProblem(text: string): string | undefined {
  if (text.trim() !== text || /\s/.test(text)) return 'contains whitespace';
  const m = URI.exec(text);
  if (!m) {
    return /^[a-z][a-z0-9+.-]*:/i.test(text) && !text.includes('://')
      ? 'expected scheme://authority/path (missing //)'
      : 'expected a URI scheme://authority/path, such as s3://bucket/path or postgres://host:5432/db.schema.table';
  }
  if (m[1] !== 'file' && m[2] === '') return `no authority after ${m[1]}://`;
  if (m[1] === 'file' && m[2] === '' && (m[3] ?? '') === '') return 'file:// needs a path';
  return undefined;
}

/** The OpenLineage identity of a dataset URI (call datasetUriProblem first; a bad URI maps to namespace `unknown`). */
export function datasetId(uri: string): DatasetId {
  const m = URI.exec(uri);
  if (!m) return { namespace: 'unknown', name: uri };
  const [, scheme, authority = '', path = ''] = m;
  if (scheme === 'file') {
    // file:///abs → /abs ; file://relative/path (as the demo writes it) → relative/path
    return { namespace: 'file', name: authority === '' ? path : `${authority}${path}` };
  }
  const rest = path.replace(/^\/+/, '');
  if (rest === '') return { namespace: scheme!, name: authority };
  return { namespace: `${scheme}://${authority}`, name: rest };
}
