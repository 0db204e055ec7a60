/**
 * Text that reaches a terminal or a CI log never carries control characters from data: git author names, commit
 * subjects, ledger fields, spec lines in code frames, command-line words, task output. An escape sequence there could
 * retitle the terminal, clear the screen, hide lines (SGR 8), rewrite what was printed (CR) or reorder it (bidi
 * overrides). Every command's stdout and stderr pass through neutralizeControls (runCli wraps the CLI's io), so the
 * rule holds for every renderer, present and future.
 */

/**
 * C0 controls except tab and newline, a CR not followed by LF, DEL, C1 controls (U+0080–U+009F, CSI among them), and
 * the bidirectional embedding/override/isolate characters.
 */
const CONTROL = /[\u0000-\u0008\u000b-\u000c\u000e-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]|\r(?!\n)/g;

/**
 * pipewright's own colours (src/diagnostics/format-text.ts, code-frame.ts, watch): SGR with reset, bold, dim, normal
 * intensity, underline and the 16 foreground colours only — nothing that hides text (8), blinks or sets a background.
 */
const OWN_SGR = /^\u001b\[(?:(?:0|1|2|4|22|24|3[0-79]|9[0-7])(?:;(?:0|1|2|4|22|24|3[0-79]|9[0-7]))*)?m/;

/**
 * `text` with every control character shown as a `\uXXXX` escape (visible on a terminal; inside a JSON string the
 * same escape decodes to the same character, so JSON output stays exact). Newlines, tabs, CRLF and pipewright's own
 * colour sequences are kept.
 */
export function neutralizeControls(text: string): string {
  return text.replace(CONTROL, (c, offset: number) => {
    if (c === '\u001b' && OWN_SGR.test(text.slice(offset, offset + 32))) return c;
    return `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;
  });
}
