/**
 * docs/diagnostics.md cannot rot: every (```yaml …, ```text …) example is re-run through the real CLI entry point and
 * must print exactly the documented output; every code has a section that demonstrates it.
 * UPDATE_DOCS=1 rewrites the text blocks from the real output instead (review the diff).
 */
import { mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CODES, type DiagnosticCode } from '../src/diagnostics/codes.js';
import { RULE_BY_CODE } from '../src/spec/rules/index.js';
import { runCliCapture } from './helpers/cli.js';

const DOC = 'docs/diagnostics.md';
const UPDATE = process.env.UPDATE_DOCS === '1';
let markdown = readFileSync(DOC, 'utf8');

interface Block {
  lang: string;
  body: string;
  /** Offsets of the body in the markdown (for UPDATE_DOCS). */
  start: number;
  end: number;
}
interface Example {
  files: { name: string; content: string }[];
  output: Block;
}
interface Section {
  code: string;
  name: string;
  examples: Example[];
}

function parse(text: string): Section[] {
  const sections: Section[] = [];
  const headings = [...text.matchAll(/^## (PW\d{3}) (\S+)\s*$/gm)];
  headings.forEach((h, i) => {
    const from = h.index;
    const to = headings[i + 1]?.index ?? text.length;
    const blocks: Block[] = [];
    for (const m of text.slice(from, to).matchAll(/^```(\w*)\n([\s\S]*?)^```$/gm)) {
      const start = from + m.index + m[0].indexOf('\n') + 1;
      blocks.push({ lang: m[1]!, body: m[2]!, start, end: start + m[2]!.length });
    }
    const examples: Example[] = [];
    let files: Example['files'] = [];
    for (const block of blocks) {
      if (block.lang === 'yaml') {
        const name = /^# file: ([\w.-]+\.ya?ml)\n/.exec(block.body)?.[1];
        if (!name) throw new Error(`${h[1]}: a yaml example must start with '# file: <name>.yaml'`);
        files.push({ name, content: block.body });
      } else if (block.lang === 'text') {
        if (files.length === 0) throw new Error(`${h[1]}: a text block without a yaml example before it`);
        examples.push({ files, output: block });
        files = [];
      }
    }
    if (files.length > 0) throw new Error(`${h[1]}: a yaml example without its output`);
    sections.push({ code: h[1]!, name: h[2]!, examples });
  });
  return sections;
}

const sections = parse(markdown);
const updates: { start: number; end: number; body: string }[] = [];

afterAll(() => {
  if (!UPDATE || updates.length === 0) return;
  for (const u of updates.sort((a, b) => b.start - a.start)) {
    markdown = markdown.slice(0, u.start) + u.body + markdown.slice(u.end);
  }
  writeFileSync(DOC, markdown);
});

describe('docs/diagnostics.md', () => {
  it('documents every code exactly once, in code order, under its registered name', () => {
    const documented = Object.keys(CODES) as DiagnosticCode[];
    expect(sections.map((s) => s.code)).toEqual(documented);
    for (const s of sections) {
      expect(s.name).toBe(CODES[s.code as DiagnosticCode]);
      if (s.code.startsWith('PW2')) expect(RULE_BY_CODE.get(s.code as DiagnosticCode)).toBe(s.name);
      expect(s.examples.length).toBeGreaterThan(0);
    }
  });

  it('points to the target docs for compile warnings', () => {
    expect(markdown).toMatch(/PW3xx[\s\S]*\(targets\.md\)/);
  });

  it('`pipewright explain <code>` prints exactly the section of this page', async () => {
    for (const section of sections) {
      const r = await runCliCapture(['explain', section.code.toLowerCase()]);
      expect(r.code, section.code).toBe(0);
      const from = markdown.indexOf(`## ${section.code} `);
      const next = markdown.indexOf('\n## ', from + 1);
      expect(r.stdout, section.code).toBe(`${markdown.slice(from, next === -1 ? undefined : next).trimEnd()}\n`);
    }
  });

  for (const section of sections) {
    section.examples.forEach((example, i) => {
      it(`${section.code} example ${i + 1} prints exactly the documented output`, async () => {
        const dir = mkdtempSync(join(tmpdir(), 'pw-docs-'));
        try {
          for (const f of example.files) writeFileSync(join(dir, f.name), f.content);
          // compile's capability notes (PW3xx): the block starts with the command line, then what it prints on stderr
          const command = /^\$ pipewright (.+)\n/.exec(example.output.body);
          if (command) {
            const argv = command[1]!.split(' ');
            expect(argv[0]).toBe('compile');
            const result = await runCliCapture(argv, { cwd: dir });
            // capability notes (PW3xx) leave the compile successful; an error (PW103) fails it
            expect(result.code).toBe(/: error: /m.test(result.stderr) ? 1 : 0);
            expect(result.stderr).toContain(`[${section.code}]`);
            const body = `${command[0]}${result.stderr}`;
            if (UPDATE) updates.push({ start: example.output.start, end: example.output.end, body });
            else expect(body).toBe(example.output.body);
            return;
          }
          // with a project configuration: the specs live in pipelines/ and validate runs on the whole project
          const project = example.files.some((f) => f.name === 'pipewright.yaml');
          if (project) {
            mkdirSync(join(dir, 'pipelines'));
            for (const f of example.files)
              if (f.name !== 'pipewright.yaml') renameSync(join(dir, f.name), join(dir, 'pipelines', f.name));
          }
          const files = project ? [] : example.files.map((f) => f.name);
          const result = await runCliCapture(['validate', ...files, '--format', 'text'], { cwd: dir });
          expect(result.stderr).toBe('');
          expect(result.stdout).toContain(`[${section.code}]`);
          expect(result.code).toBe(/^\S+: error: /m.test(result.stdout) ? 1 : 0);
          if (UPDATE) updates.push({ start: example.output.start, end: example.output.end, body: result.stdout });
          else expect(result.stdout).toBe(example.output.body);
        } finally {
          rmSync(dir, { recursive: true, force: true });
        }
      });
    });
  }
});
