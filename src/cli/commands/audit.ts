import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { UserError } from '../../diagnostics/diagnostic.js';
import { headFileOf, readLedger, verifyLedger } from '../../runtime/ledger.js';
import { oneOf, parseCommandArgs } from '../args.js';
import { type CliIO, type Command, userPath } from '../io.js';

const HELP = `Usage: pipewright audit verify [--ledger FILE] [--expect-head HASH] [--format text|json]
       pipewright audit log [--pipeline NAME] [--ledger FILE] [--format text|json]

The ledger (.pipewright/ledger.jsonl) is append-only JSON lines: every run start/finish/skip and every task attempt,
with sequence number, time, actor, action, pipeline, version, spec hash, git commit, result, and a SHA-256 chain
(prev = hash of the previous record, hash = SHA-256 of the record's canonical JSON without hash). Its head file
(<ledger>.head) records the last sequence number and hash.

  verify   check the chain; exit 1 naming the first bad record (edited, deleted, inserted, reordered, truncated)
  log      print the records (oldest first)

What verify proves: every record is intact JSON with the expected fields, its hash matches its content, its prev is
the hash of the record before it, sequence numbers run 1..N, and the head file agrees with the last record. What it
cannot prove on its own: someone able to write .pipewright/ can drop the last records and the head file together,
or rewrite the whole ledger with recomputed hashes. Keep the head hash verify prints somewhere else (a CI variable,
a commit, a run report) and pass it back with --expect-head: the chain must then contain that record.

Options:
  --ledger <file>     ledger file (default .pipewright/ledger.jsonl)
  --expect-head <h>   verify: a record hash kept outside the ledger's directory; exit 1 unless the chain contains it
                      (records appended after it are fine)
  --pipeline <name>   log: only records of this pipeline
  --format <fmt>      text (default) or json

Exit codes: 0 chain intact (verify) or records printed (log), 1 the chain is broken or the ledger cannot be read,
2 a missing ledger, a usage error or an internal error.
`;

const VERIFIED =
  'every record is intact JSON with the expected fields, its hash matches its content, its prev is the hash of the record before it, sequence numbers run from 1 without gaps, and the head file names the last record';

function detailText(details: Record<string, string | number | boolean | null>): string {
  return Object.keys(details)
    .sort()
    .filter((k) => details[k] !== null)
    .map((k) => `${k}=${details[k]}`)
    .join(' ');
}

export const command: Command = {
  summary: 'verify or print the tamper-evident run ledger',
  help: HELP,
  async run(argv: string[], io: CliIO): Promise<number> {
    const { values, positionals } = parseCommandArgs(
      argv,
      {
        ledger: { type: 'string' },
        pipeline: { type: 'string' },
        format: { type: 'string' },
        'expect-head': { type: 'string' },
      },
      'audit',
    );
    const [sub, ...rest] = positionals;
    if (sub !== 'verify' && sub !== 'log')
      throw new UserError('audit: use `pipewright audit verify` or `pipewright audit log`', 2);
    if (rest.length > 0) throw new UserError(`audit ${sub} takes no further arguments (got ${rest.join(' ')})`, 2);
    const format = oneOf(values.format, ['text', 'json'] as const, '--format', 'text');
    const file = resolve(
      io.cwd,
      values.ledger === undefined ? '.pipewright/ledger.jsonl' : userPath(io, values.ledger),
    );

    if (sub === 'verify') {
      if (values.pipeline !== undefined)
        throw new UserError('audit verify checks the whole chain: --pipeline applies to log', 2);
      const expectHead = values['expect-head'];
      if (expectHead !== undefined && !/^[0-9a-f]{64}$/.test(expectHead))
        throw new UserError(`--expect-head must be a record hash (64 hex digits, as verify prints it)`, 2);
      const verdict = verifyLedger(file, expectHead);
      if ('missing' in verdict)
        throw new UserError(
          `no ledger at ${file} (and no head file): nothing to verify — check --ledger, or run a pipeline first`,
          2,
        );
      if (format === 'json') {
        io.stdout(`${JSON.stringify({ ledger: file, ...verdict, verified: VERIFIED }, null, 2)}\n`);
      } else if (verdict.ok) {
        const anchor = verdict.anchor;
        io.stdout(
          `${
            verdict.records === 0
              ? `ledger ${file}: empty (0 records); head file consistent`
              : `ledger ${file}: ${verdict.records} record${verdict.records === 1 ? '' : 's'}, chain intact; head ${verdict.head}`
          }\n` +
            (anchor?.found
              ? `anchored: record ${anchor.seq} has the expected head ${anchor.hash}; ${anchor.after} record${anchor.after === 1 ? '' : 's'} appended after it\n`
              : `not anchored: trailing records deleted with the head file, or a fully re-chained ledger, look the same; keep the head hash outside ${dirname(file)} and pass it with --expect-head\n`) +
            `verified: ${VERIFIED}\n`,
        );
      } else {
        io.stderr(
          `ledger ${file}: record ${verdict.line}${verdict.seq !== undefined && verdict.seq !== verdict.line ? ` (seq ${verdict.seq})` : ''} is bad: ${verdict.reason}\n` +
            `${verdict.records} record${verdict.records === 1 ? '' : 's'} before it verified; head file ${headFileOf(file)}\n`,
        );
      }
      return verdict.ok ? 0 : 1;
    }

    if (!existsSync(file))
      throw new UserError(`no ledger at ${file}: nothing to show — check --ledger, or run a pipeline first`, 2);
    const records = readLedger(file).filter((r) => values.pipeline === undefined || r.pipeline === values.pipeline);
    if (format === 'json') {
      io.stdout(`${JSON.stringify(records, null, 2)}\n`);
      return 0;
    }
    if (records.length === 0) {
      io.stdout(`no ledger records${values.pipeline ? ` for ${values.pipeline}` : ''} in ${file}\n`);
      return 0;
    }
    for (const r of records) {
      io.stdout(
        `#${r.seq} ${r.time} ${r.actor} ${r.action} ${r.pipeline} ${r.version} ${r.result} ${detailText(r.details)} spec=${r.specHash.slice(0, 12)} commit=${r.commit ? r.commit.slice(0, 12) : '-'}\n`,
      );
    }
    return 0;
  },
};
