/** Markdown helpers for merge-request comments (GitLab/GitHub flavoured). */

/**
 * User text as inert markdown: HTML special characters as entities (`&`, `<`, `>`: no tags, no comments; user text never goes into attributes), the punctuation that
 * starts markdown or GitLab references backslash-escaped (no emphasis, links, tables, `@mentions`, `#issue`/`!mr`/`~label`
 * references, `:emoji:`), a leading list/heading/quote marker escaped, line breaks shown as `↵`.
 */
export function mdText(text: string): string {
  return text
    .replace(/[\r\n]+/g, ' ↵ ')
    .replace(/[\\`*_[\]|~!#$%@]/g, (c) => `\\${c}`)
    .replace(/:(?=[\w+-]+:)/g, '\\:')
    .replace(/^(\s*)([-+=])(?=[\s=-]|$)/, '$1\\$2')
    .replace(/^(\s*\d+)([.)])(?=\s|$)/, '$1\\$2')
    .replace(/[&<>]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;' })[c]!);
}

/** Inline code look without a code span (which cannot hold every backtick sequence): escaped text inside <code>. */
export function mdCode(text: string, max = 300): string {
  return `<code>${mdText(truncateText(text, max))}</code>`;
}

/**
 * A markdown code span, no HTML: its content is never interpreted (no emphasis, links, references). The fence is one
 * backtick longer than the longest backtick run inside, padded with spaces when the text starts or ends with one; line
 * breaks are shown as `↵`, long text is cut.
 */
export function codeSpan(text: string, max = 300): string {
  const flat = truncateText(text, max).replace(/\r?\n|\r/g, ' ↵ ');
  const longest = Math.max(0, ...[...flat.matchAll(/`+/g)].map((m) => m[0].length));
  const fence = '`'.repeat(longest + 1);
  const pad = flat.startsWith('`') || flat.endsWith('`') || flat === '' ? ' ' : '';
  return `${fence}${pad}${flat}${pad}${fence}`;
}

/** A fenced block whose fence is longer than any backtick run in the content. */
export function mdFence(content: string, info = ''): string {
  const longest = Math.max(2, ...[...content.matchAll(/`+/g)].map((m) => m[0].length));
  const fence = '`'.repeat(longest + 1);
  return `${fence}${info}\n${content.endsWith('\n') ? content : `${content}\n`}${fence}`;
}

export function truncateText(text: string, max: number): string {
  if (text.length <= max) return text;
  return `${text.slice(0, max)}… (${text.length - max} more characters)`;
}
