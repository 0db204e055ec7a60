/**
 * Guards for user-supplied revisions before they reach git. A rev is only ever passed to `rev-parse --verify
 * --end-of-options <rev>^{commit}`; everything after that uses the resolved SHA. These checks refuse what could be read
 * as an option (`--output=/tmp/x`, simple-git CVE-2022-25912 & co.) or as more than one revision.
 */

const FULL_SHA = /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/;

/** Why `rev` cannot be used as a single revision, or undefined when it may be resolved. */
export function checkRevArgument(rev: string): string | undefined {
  if (rev === '') return 'a revision must not be empty';
  if (rev.startsWith('-'))
    return `'${printable(rev)}' looks like an option, not a revision (revisions never start with '-')`;
  if (/[\0\r\n]/.test(rev)) return 'a revision must not contain NUL or line breaks';
  if (rev.includes('..'))
    return `'${printable(rev)}' is a range; give a single revision (base and head are separate arguments)`;
  if (/^\s|\s$/.test(rev)) return `'${printable(rev)}' has leading or trailing whitespace`;
  if (rev.length > 1000) return 'a revision must be at most 1000 characters';
  return undefined;
}

/** True for a full object id (SHA-1 or SHA-256) as returned by rev-parse: the only form used after resolution. */
export function isFullSha(text: string): boolean {
  return FULL_SHA.test(text);
}

/** Control characters shown escaped so an error message cannot rewrite the terminal. */
export function printable(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}
