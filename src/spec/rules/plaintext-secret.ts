import type { Diagnostic } from '../../diagnostics/diagnostic.js';
import type { SpecPath } from '../document.js';
import { findKnownSecrets, isSecretLikeName, secretValueKind } from '../secrets.js';
import type { Rule } from './rule.js';
import { describePath as describe, diagnostic, quote, substringRange, tasksInSourceOrder } from './support.js';

const ADVICE = "store it in the secret store and reference it under 'secrets:'";

/**
 * PW210: plaintext secrets in a spec. Known formats (AWS keys, private keys, GitHub/GitLab/Slack tokens, passwords in
 * URLs …) anywhere in the spec; literal values given to secret-like names (PASSWORD, API_KEY, TOKEN …) in env, param
 * defaults and command flags. Messages name the place and the kind of secret, never the value.
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

    // Known formats, in every string of the spec.
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

    // Literal values for secret-like names.
    const named = (path: SpecPath, name: string, value: string, span?: [number, number]) => {
      const text = span ? value.slice(span[0], span[1]) : value;
      const kind = isSecretLikeName(name) ? secretValueKind(text) : undefined;
      if (kind)
        report(path, value, span, `${describe(path)} holds a plaintext secret (${kind} for ${quote(name)}): ${ADVICE}`);
    };
    const envs: [SpecPath, Record<string, string> | undefined][] = [
      [['spec', 'defaults', 'env'], spec.spec.defaults?.env],
    ];
    for (const { task, path } of tasksInSourceOrder(doc, spec)) {
      envs.push([[...path, 'env'], task.env]);
      task.command.forEach((word, i) => {
        const wordPath = [...path, 'command', i];
        const assignment = /^-{0,2}([A-Za-z_][\w.-]*)=/.exec(word);
        if (assignment) named(wordPath, assignment[1]!, word, [assignment[0].length, word.length]);
        const flag = /^--?([A-Za-z_][\w.-]*)$/.exec(word);
        const next = task.command[i + 1];
        if (flag && next !== undefined && !next.startsWith('-')) named([...path, 'command', i + 1], flag[1]!, next);
      });
    }
    for (const [path, env] of envs) {
      for (const [name, value] of Object.entries(env ?? {})) named([...path, name], name, value);
    }
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
