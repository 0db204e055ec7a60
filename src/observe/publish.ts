/**
 * Getting a one-shot run's metrics to Prometheus: a node-exporter textfile (`--metrics-file`, written atomically so
 * the collector never reads half a file) or a Pushgateway (`--pushgateway URL`). Neither ever changes the run's
 * result: a failure comes back as a message for the run's output.
 */
import { Pushgateway } from 'prom-client';
import { writeFileAtomic } from '../runtime/atomic-file.js';
import type { PipewrightMetrics } from './metrics.js';

export type PublishResult = { ok: true; where: string } | { ok: false; where: string; message: string };

const ERRNO_HINTS: Record<string, string> = {
  ENOSPC: 'the disk is full',
  EDQUOT: 'the disk quota is exhausted',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  EROFS: 'the file system is read-only',
  ENOENT: 'the directory does not exist',
  ENOTDIR: 'a parent is not a directory',
  EISDIR: 'the path is a directory',
};

/**
 * Writes the exposition to `file` (node-exporter textfile collector format; the collector reads `*.prom`): temp file
 * in the same directory, fsync, rename; on failure the temp file is removed and the old file stays as it was.
 */
export async function writeMetricsTextfile(metrics: PipewrightMetrics, file: string): Promise<PublishResult> {
  const text = await metrics.exposition();
  try {
    writeFileAtomic(file, text);
    return { ok: true, where: file };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why = (code && ERRNO_HINTS[code]) ?? (error as Error).message;
    return { ok: false, where: file, message: `could not write ${file}: ${why}${code ? ` (${code})` : ''}` };
  }
}

export interface PushOptions {
  /** Grouping key beside job="pipewright": the pipeline, so pipelines do not overwrite each other. */
  pipeline: string;
  /** Socket timeout per request (default 10 s). */
  timeoutMs?: number;
}

/**
 * PUTs the registry to `<url>/metrics/job/pipewright/pipeline/<pipeline>` (replacing that group, as a batch job
 * should). One attempt, bounded by the timeout.
 */
export async function pushMetrics(
  metrics: PipewrightMetrics,
  url: string,
  options: PushOptions,
): Promise<PublishResult> {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return { ok: false, where: url, message: `--pushgateway: '${url}' is not a URL` };
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    return { ok: false, where: url, message: `--pushgateway: '${url}' must be an http:// or https:// URL` };
  }
  // Credentials in the URL are never echoed back.
  const shown = `${parsed.protocol}//${parsed.host}${parsed.pathname === '/' ? '' : parsed.pathname}`;
  const gateway = new Pushgateway(url, { timeout: options.timeoutMs ?? 10_000 }, metrics.registry);
  try {
    await gateway.push({ jobName: 'pipewright', groupings: { pipeline: options.pipeline } });
    return { ok: true, where: shown };
  } catch (error) {
    const e = error as NodeJS.ErrnoException;
    return { ok: false, where: shown, message: `could not push metrics to ${shown}: ${e.code ?? e.message}` };
  }
}
