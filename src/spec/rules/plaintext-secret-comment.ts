import type { Diagnostic } from '../../diagnostics/diagnostic.js';
import { findSecretSpans, isHighEntropy } from '../secrets.js';
import type { Rule } from './rule.js';
import { diagnostic, quote } from './support.js';

const ADVICE = 'remove it, and rotate it: it stays readable in the Git history';

/**
 * Comments are prose, so an assignment (`# password: …`) only counts when its value looks like a credential rather
 * than a sentence: one word, random-looking, or at least mixing letters with digits or symbols.
 */
function credentialLike(value: string): boolean {
  if (/\s/.test(value) || value.length < 6) return false;
  if (isHighEntropy(value)) return true;
  return /[A-Za-z]/.test(value) && /[^A-Za-z]/.test(value);
}

/** PW211: plaintext secrets in comments (known formats, or a secret-like name with a credential-like value). */
export const plaintextSecretComment: Rule = {
  name: 'plaintext-secret-comment',
  codes: ['PW211'],
  check({ doc }) {
    const out: Diagnostic[] = [];
    for (const comment of doc.comments) {
      for (const span of findSecretSpans(comment.text)) {
        if (span.name !== undefined && !credentialLike(comment.text.slice(span.start, span.end))) continue;
        const what =
          span.name === undefined ? `a plaintext ${span.kind}` : `a plaintext secret (value for ${quote(span.name)})`;
        const { line, column } = comment.range.start;
        const singleLine = comment.range.end.line === line;
        const range = singleLine
          ? { start: { line, column: column + span.start }, end: { line, column: column + span.end } }
          : comment.range;
        out.push(diagnostic(doc, range, 'error', 'PW211', `comment contains ${what}: ${ADVICE}`));
      }
    }
    return out;
  },
};
