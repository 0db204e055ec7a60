import type { Diagnostic } from '../../diagnostics/diagnostic.js';
import type { SpecPath } from '../document.js';
import { findKnownSecrets, isSecretLikeName, secretValueKind } from '../secrets.js';
import type { Rule } from './rule.js';
import { describePath as describe, diagnostic, quote, substringRange, tasksInSourceOrder } from './support.js';

const ADVICE = "store it in the secret store and reference it under 'secrets:'";

/**
 * PW210: plaintext secrets in a spec. Known formats (AWS keys, private keys, GitHub/GitLab/Slack tokens, passwords in
 * URLs and connection strings …) anywhere in the spec, keys included; literal values given to secret-like names
 * (PASSWORD, PGPASSWORD, API_KEY, TOKEN …) under any key (env, labels …), in param defaults and command flags.
 * Messages name the place and the kind of secret, never the value.
 */
export const plaintextSecret: Rule = {
  name: 'plaintext-secret',
  codes: ['PW210'],
  check({ doc, spec }) {
    const out: Diagnostic[] = [];
    const flagged = new Set<string>();
    const report = (path: SpecPath, value: string, span: [number, number] | undefined, message: string) => {
      const key = JSON.stringify(path);
      if (flagged.has(key)) return; // one finding per scalar is enough to act on
      flagged.add(key);
      const range = span ? substringRange(doc, path, value, span[0], span[1]) : doc.rangeOf(path);
      out.push(diagnostic(doc, range, 'error', 'PW210', message));
    };

    // Known formats, in every string of the spec, and in every key (a task id or env name can be a token too).
    walkStrings(spec, [], (path, value) => {
      const [first] = findKnownSecrets(value);
      if (first) {
        report(
          path,
          value,
          [first.start, first.end],
          `${describe(path)} contains a plaintext ${first.kind}: ${ADVICE}`,
        );
      }
    });
    walkKeys(spec, [], (path) => {
      const key = String(path[path.length - 1]);
      const [first] = findKnownSecrets(key);
      if (!first) return;
      const flaggedKey = JSON.stringify(['key', ...path]);
      if (flagged.has(flaggedKey)) return;
      flagged.add(flaggedKey);
      const where = path.length > 1 ? ` in ${describe(path.slice(0, -1))}` : '';
      out.push(
        diagnostic(
          doc,
          doc.rangeOf(path, { key: true }),
          'error',
          'PW210',
          `a key${where} is a plaintext ${first.kind}: rename it; ${ADVICE}`,
        ),
      );
    });

    // Literal values for secret-like names: every string given to a key (env, labels, any map), command flags, and
    // param defaults (named by their param).
    const named = (path: SpecPath, name: string, value: string, span?: [number, number]) => {
      const text = span ? value.slice(span[0], span[1]) : value;
      const kind = isSecretLikeName(name) ? secretValueKind(text) : undefined;
      if (kind)
        report(path, value, span, `${describe(path)} holds a plaintext secret (${kind} for ${quote(name)}): ${ADVICE}`);
    };
    for (const { task, path } of tasksInSourceOrder(doc, spec)) {
      (task.command ?? []).forEach((word, i) => {
        const wordPath = [...path, 'command', i];
        const assignment = /^-{0,2}([A-Za-z_][\w.-]*)=/.exec(word);
        if (assignment) named(wordPath, assignment[1]!, word, [assignment[0].length, word.length]);
        const flag = /^--?([A-Za-z_][\w.-]*)$/.exec(word);
        const next = task.command[i + 1];
        if (flag && next !== undefined && !next.startsWith('-')) named([...path, 'command', i + 1], flag[1]!, next);
      });
    }
    walkStrings(spec, [], (path, value) => {
      const key = path[path.length - 1];
      if (typeof key === 'string') named(path, key, value);
    });
    for (const [name, param] of Object.entries(spec.spec.params ?? {})) {
      if (param.default !== undefined) named(['spec', 'params', name, 'default'], name, param.default);
    }
    return out;
  },
};

function walkStrings(value: unknown, path: SpecPath, visit: (path: SpecPath, value: string) => void): void {
  if (typeof value === 'string') visit(path, value);
  else if (Array.isArray(value)) {
    for (const [i, v] of value.entries()) walkStrings(v, [...path, i], visit);
  } else if (value !== null && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) walkStrings(v, [...path, k], visit);
  }
}

function walkKeys(value: unknown, path: SpecPath, visit: (path: SpecPath) => void): void {
  if (Array.isArray(value)) {
    for (const [i, v] of value.entries()) walkKeys(v, [...path, i], visit);
  } else if (value !== null && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      visit([...path, k]);
      walkKeys(v, [...path, k], visit);
    }
  }
}
