/**
 * Small inputs must not produce huge outputs (issue 11 item 4): code frames multiplied a long line by the number of
 * diagnostics on it (a 30 KB line of undefined aliases printed 452 MB). Frames are cut to a fixed width around the
 * range, and at most MAX_DIAGNOSTICS_PER_FILE diagnostics per file are shown; the summary still counts them all.
 */
import { describe, expect, it } from 'vitest';
import { codeFrame, FrameSource } from '../../src/diagnostics/code-frame.js';
import { MAX_DIAGNOSTICS_PER_FILE } from '../../src/diagnostics/limit.js';
import { runCliCapture } from '../helpers/cli.js';
import { SPEC_HEAD, specProject } from './support.js';

function aliasSpec(count: number): string {
  const aliases = Array.from({ length: count }, (_, i) => `*a${i}`).join(', ');
  return `${SPEC_HEAD}    t:\n      command: [${aliases}]\n`;
}

async function validate(text: string, format = 'text') {
  return runCliCapture(['validate', '--format', format], { cwd: specProject({ 'p.yaml': text }) });
}

describe('diagnostic output stays proportional to what is shown', () => {
  for (const count of [500, 4500]) {
    it(`a ${count}-alias line prints at most ${MAX_DIAGNOSTICS_PER_FILE} narrow frames`, async () => {
      const spec = aliasSpec(count);
      const out = await validate(spec);
      expect(out.code).toBe(1);
      const lines = out.stdout.split('\n');
      expect(Math.max(...lines.map((l) => l.length))).toBeLessThanOrEqual(400);
      expect(lines.filter((l) => l.includes('[PW003]'))).toHaveLength(MAX_DIAGNOSTICS_PER_FILE);
      expect(out.stdout).toContain(
        `pipelines/p.yaml: ${count - MAX_DIAGNOSTICS_PER_FILE} more diagnostics not shown (fix the ones above first)`,
      );
      expect(out.stdout).toContain(`${count} errors, 0 warnings in 1 file`);
      expect(out.stdout.length).toBeLessThan(150_000);
      const json = JSON.parse((await validate(spec, 'json')).stdout) as {
        diagnostics: unknown[];
        summary: { errors: number; omitted?: number };
      };
      expect(json.diagnostics).toHaveLength(MAX_DIAGNOSTICS_PER_FILE);
      expect(json.summary).toMatchObject({ errors: count, omitted: count - MAX_DIAGNOSTICS_PER_FILE });
    }, 60_000);
  }
});

describe('frame width', () => {
  it('shows a window around the range of a long line, with the caret under it, and masks inside it', () => {
    const line = `${'x'.repeat(5000)} token: ghp_${'A'.repeat(36)} ${'y'.repeat(5000)}`;
    const source = new FrameSource(`a: 1\nb: ${line}\nc: 2\n`);
    const at = 3 + 5001 + 8; // column of ghp_ on line 2
    const frame = codeFrame(source, { start: { line: 2, column: at }, end: { line: 2, column: at + 40 } });
    const [, shown, caret] = frame.split('\n');
    expect(shown!.length).toBeLessThanOrEqual(200);
    expect(shown).toContain('token: ****');
    expect(shown).toMatch(/^> 2 \| …x+ token: \*\*\*\* y+…$/);
    expect(caret!.indexOf('^')).toBe(shown!.indexOf('****'));
  });
});
