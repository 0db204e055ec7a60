/**
 * The daemon's logger (pino): JSON lines with `--log-format json`, else one human line per event
 * (`HH:MM:SS.mmm LEVEL message key=value …`). Both go through pino, so every event carries the same fields.
 */
import pino, { type Logger } from 'pino';

export type LogFormat = 'text' | 'json';

const LEVELS: Record<number, string> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO', 40: 'WARN', 50: 'ERROR', 60: 'FATAL' };
const OMIT = new Set(['level', 'time', 'msg', 'pid', 'hostname']);

/** Control characters escaped so a log line cannot rewrite the terminal. */
function clean(text: string): string {
  return text.replace(
    /[\u0000-\u0008\u000b-\u001f\u007f\u0080-\u009f]/g,
    (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`,
  );
}

/** One pino JSON line as a human line. */
export function humanLine(json: string): string {
  let event: Record<string, unknown>;
  try {
    event = JSON.parse(json) as Record<string, unknown>;
  } catch {
    return json;
  }
  const time = typeof event.time === 'number' ? new Date(event.time).toISOString().slice(11, 23) : '';
  const level = (LEVELS[event.level as number] ?? String(event.level)).padEnd(5);
  const fields = Object.entries(event)
    .filter(([k]) => !OMIT.has(k))
    .map(([k, v]) => `${k}=${typeof v === 'string' && !/\s/.test(v) ? v : JSON.stringify(v)}`);
  const msg = String(event.msg ?? '');
  const lines = msg.split('\n');
  return `${time} ${level} ${clean(lines[0]!)}${fields.length ? ` ${clean(fields.join(' '))}` : ''}${lines
    .slice(1)
    .map((l) => `\n    ${clean(l)}`)
    .join('')}\n`;
}

export function createLogger(format: LogFormat, write: (text: string) => void, level = 'info'): Logger {
  const destination = {
    write: format === 'json' ? (line: string) => write(line) : (line: string) => write(humanLine(line)),
  };
  return pino({ level, base: undefined, timestamp: pino.stdTimeFunctions.epochTime }, destination);
}
