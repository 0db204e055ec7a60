/**
 * Where OpenLineage events go, named as the OpenLineage clients name their transports:
 *   console  one JSON event per line on the given writer (stderr for `pipewright run`)
 *   file     JSON lines appended to `logFilePath`
 *   http     POST `<url><endpoint>` (default /api/v1/lineage), `Authorization: Bearer <api key>` when one is set;
 *            retries (network errors, 429, 5xx) with exponential back-off, each attempt bounded by `timeoutMs`
 * A transport never throws into the run: failures are collected and reported once when the run's emitter closes.
 * Events are sent in order in the background, so a slow endpoint never blocks a task.
 */
import { appendFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { RunEvent } from './events.js';

export type TransportConfig =
  | { type: 'console' }
  | { type: 'file'; logFilePath: string }
  | {
      type: 'http';
      url: string;
      endpoint: string;
      apiKey?: string;
      timeoutMs: number;
      /** Attempts per event (1 + retries). */
      attempts: number;
      /** First back-off; doubles per retry. */
      backoffMs: number;
    };

export interface Transport {
  /** Queue an event (never throws, never waits for the network). */
  emit(event: RunEvent): void;
  /** Waits for queued events up to `deadlineMs`; returns the problems seen (no secret values). */
  close(deadlineMs: number): Promise<string[]>;
}

/** Waits `ms`, or less when `signal` aborts (the listener is removed either way). */
function backoff(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}

export function createTransport(config: TransportConfig, console: (line: string) => void): Transport {
  if (config.type === 'console') {
    return {
      emit: (event) => console(`${JSON.stringify(event)}\n`),
      close: async () => [],
    };
  }
  if (config.type === 'file') {
    const problems: string[] = [];
    return {
      emit(event) {
        try {
          mkdirSync(dirname(config.logFilePath), { recursive: true });
          appendFileSync(config.logFilePath, `${JSON.stringify(event)}\n`);
        } catch (error) {
          const e = error as NodeJS.ErrnoException;
          if (problems.length < 5) problems.push(`could not append to ${config.logFilePath}: ${e.code ?? e.message}`);
        }
      },
      close: async () => problems,
    };
  }
  return httpTransport(config);
}

function httpTransport(config: Extract<TransportConfig, { type: 'http' }>): Transport {
  // An endpoint given relative to the URL's own path (http://h/base + api/v1/lineage) keeps the base.
  const url = new URL(config.endpoint.replace(/^\/+/, ''), `${config.url.replace(/\/+$/, '')}/`);
  const shown = `${url.protocol}//${url.host}${url.pathname}`;
  const problems: string[] = [];
  let failed = 0;
  let chain: Promise<void> = Promise.resolve();
  let closed = false;
  // After an event failed every attempt, the next ones get one attempt each until one succeeds: a down endpoint
  // costs one timeout per event, not the whole back-off schedule.
  let down = false;
  const abort = new AbortController();

  async function send(event: RunEvent): Promise<void> {
    const body = JSON.stringify(event);
    let last = '';
    const attempts = down ? 1 : config.attempts;
    for (let attempt = 1; attempt <= attempts; attempt++) {
      if (abort.signal.aborted) {
        last = 'gave up at the end of the run';
        break;
      }
      try {
        const response = await fetch(url, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            ...(config.apiKey ? { authorization: `Bearer ${config.apiKey}` } : {}),
          },
          body,
          signal: AbortSignal.any([AbortSignal.timeout(config.timeoutMs), abort.signal]),
        });
        await response.body?.cancel();
        if (response.ok) {
          down = false;
          return;
        }
        last = `HTTP ${response.status}`;
        if (response.status < 500 && response.status !== 429) break;
      } catch (error) {
        const e = error as Error & { cause?: NodeJS.ErrnoException };
        last = e.name === 'TimeoutError' ? `no answer within ${config.timeoutMs} ms` : (e.cause?.code ?? e.message);
      }
      if (attempt < attempts) await backoff(config.backoffMs * 2 ** (attempt - 1), abort.signal);
    }
    down = true;
    failed++;
    if (problems.length < 5) problems.push(`${event.eventType} ${event.job.name}: ${last}`);
  }

  return {
    emit(event) {
      if (closed) return;
      chain = chain.then(() => send(event));
    },
    async close(deadlineMs) {
      closed = true;
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([chain, new Promise<void>((r) => (timer = setTimeout(r, deadlineMs)))]);
      clearTimeout(timer);
      abort.abort();
      await chain;
      if (failed === 0) return [];
      return [`${failed} lineage event${failed === 1 ? '' : 's'} not delivered to ${shown} (${problems.join('; ')})`];
    },
  };
}
