/**
 * The lineage settings of a run: the project config's `lineage` section, overridden by the standard OpenLineage
 * environment variables (so a deployment configured for other OpenLineage clients needs nothing new):
 *   OPENLINEAGE_DISABLED=true                 no events
 *   OPENLINEAGE_URL, OPENLINEAGE_ENDPOINT     http transport (endpoint default api/v1/lineage)
 *   OPENLINEAGE_API_KEY                       bearer token (http)
 *   OPENLINEAGE_NAMESPACE                     job namespace (default pipewright)
 *   OPENLINEAGE__TRANSPORT__TYPE              console | file | http
 *   OPENLINEAGE__TRANSPORT__URL, __ENDPOINT, __TIMEOUT (seconds), __AUTH__API_KEY (with __AUTH__TYPE=api_key)
 *   OPENLINEAGE__TRANSPORT__LOG_FILE_PATH     file transport
 * Nothing configured = no lineage events.
 */
import { isAbsolute, resolve } from 'node:path';
import type { LineageSettings } from '../../config/types.js';
import type { TransportConfig } from './transport.js';

export interface LineageConfig {
  namespace: string;
  repositoryUrl?: string;
  transport: TransportConfig;
}

/** A setting that cannot work (exit 2 for the command): names the variable or key, never a secret value. */
export class LineageConfigError extends Error {
  override name = 'LineageConfigError';
}

type Env = Readonly<Record<string, string | undefined>>;

export function resolveLineageConfig(
  settings: LineageSettings | undefined,
  env: Env,
  root: string,
): LineageConfig | undefined {
  const disabled = env.OPENLINEAGE_DISABLED?.toLowerCase();
  if (disabled === 'true' || disabled === '1') return undefined;
  const t = settings?.transport;
  const envType = env.OPENLINEAGE__TRANSPORT__TYPE?.toLowerCase();
  const envUrl = env.OPENLINEAGE__TRANSPORT__URL ?? env.OPENLINEAGE_URL;
  const type = envType ?? (envUrl !== undefined ? 'http' : t?.type);
  if (type === undefined) return undefined;
  const namespace = env.OPENLINEAGE_NAMESPACE ?? settings?.namespace ?? 'pipewright';
  const base = { namespace, ...(settings?.repositoryUrl ? { repositoryUrl: settings.repositoryUrl } : {}) };

  if (type === 'console') return { ...base, transport: { type: 'console' } };
  if (type === 'file') {
    const path = env.OPENLINEAGE__TRANSPORT__LOG_FILE_PATH ?? (t?.type === 'file' ? t.logFilePath : undefined);
    if (!path) {
      throw new LineageConfigError(
        'lineage: the file transport needs a path (OPENLINEAGE__TRANSPORT__LOG_FILE_PATH or lineage.transport.logFilePath)',
      );
    }
    return { ...base, transport: { type: 'file', logFilePath: isAbsolute(path) ? path : resolve(root, path) } };
  }
  if (type === 'http') {
    const http = t?.type === 'http' ? t : undefined;
    const url = envUrl ?? http?.url;
    if (!url)
      throw new LineageConfigError(
        'lineage: the http transport needs a URL (OPENLINEAGE_URL or lineage.transport.url)',
      );
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw new LineageConfigError(`lineage: '${url}' is not a URL (OPENLINEAGE_URL / lineage.transport.url)`);
    }
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
      throw new LineageConfigError('lineage: the http transport URL must start with http:// or https://');
    }
    if (parsed.username || parsed.password) {
      throw new LineageConfigError('lineage: put credentials in OPENLINEAGE_API_KEY, not in the URL');
    }
    const timeoutText = env.OPENLINEAGE__TRANSPORT__TIMEOUT;
    const timeout = timeoutText !== undefined ? Number(timeoutText) : (http?.timeout ?? 5);
    if (!Number.isFinite(timeout) || timeout <= 0 || timeout > 60) {
      throw new LineageConfigError(
        `lineage: OPENLINEAGE__TRANSPORT__TIMEOUT must be seconds between 0 and 60 (got '${timeoutText}')`,
      );
    }
    const apiKey =
      env.OPENLINEAGE__TRANSPORT__AUTH__API_KEY ??
      env.OPENLINEAGE__TRANSPORT__AUTH__APIKEY ??
      (http?.apiKeyEnv ? env[http.apiKeyEnv] : undefined) ??
      env.OPENLINEAGE_API_KEY;
    return {
      ...base,
      transport: {
        type: 'http',
        url,
        endpoint:
          env.OPENLINEAGE__TRANSPORT__ENDPOINT ?? env.OPENLINEAGE_ENDPOINT ?? http?.endpoint ?? 'api/v1/lineage',
        ...(apiKey ? { apiKey } : {}),
        timeoutMs: Math.round(timeout * 1000),
        attempts: 1 + (http?.retries ?? 2),
        backoffMs: 500,
      },
    };
  }
  throw new LineageConfigError(
    `lineage: transport type '${type}' is not one of console, file, http (OPENLINEAGE__TRANSPORT__TYPE / lineage.transport.type)`,
  );
}
