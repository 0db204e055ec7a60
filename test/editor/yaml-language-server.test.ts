/**
 * The editor experience, checked with the real editor server: yaml-language-server 1.25 (what VS Code's YAML
 * extension runs), started from node_modules and driven over LSP on stdio, reads schema/pipeline.schema.json through
 * the `# yaml-language-server: $schema=…` modeline of each spec.
 * - the shipped examples get zero diagnostics;
 * - every key of the examples has a non-empty hover (descriptions on every property of the schema);
 * - typical mistakes each get a diagnostic at the right place, in words (patternErrorMessage, never a raw regex);
 * - completion offers documented keys, and enum values with their descriptions.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isMap, isPair, isScalar, isSeq, LineCounter, type Node, parseDocument } from 'yaml';
import { type LspClient, startLsp } from '../helpers/lsp.js';

const ROOT = join(import.meta.dirname, '..', '..');
const SERVER = join(ROOT, 'node_modules', 'yaml-language-server', 'bin', 'yaml-language-server');
const SETTINGS = {
  yaml: {
    validate: true,
    hover: true,
    completion: true,
    format: { enable: false },
    // Never fetch the JSON Schema Store catalogue: the test works offline and reads nothing outside the project.
    schemaStore: { enable: false },
    schemas: {},
  },
};

interface LspDiagnostic {
  range: { start: { line: number; character: number }; end: { line: number; character: number } };
  message: string;
  severity?: number;
}

let lsp: LspClient;
let version = 0;

async function diagnose(uri: string, text: string): Promise<LspDiagnostic[]> {
  version++;
  const mine = version;
  lsp.notify('textDocument/didOpen', { textDocument: { uri, languageId: 'yaml', version: mine, text } });
  const published = await lsp.waitFor(
    'textDocument/publishDiagnostics',
    (p) => p.uri === uri && (p.version === undefined || p.version === mine),
  );
  return published.diagnostics as LspDiagnostic[];
}

function hoverText(result: unknown): string {
  const contents = (result as { contents?: unknown } | null)?.contents;
  if (contents === undefined || contents === null) return '';
  if (typeof contents === 'string') return contents;
  if (Array.isArray(contents)) return contents.map((c) => (typeof c === 'string' ? c : String(c.value))).join('\n');
  return String((contents as { value?: string }).value ?? '');
}

/**
 * What a hover says beyond what the server adds to every hover: the schema's title heading ("#### pipewright
 * Pipeline") and the "Source: pipeline.schema.json" line. Empty for a key whose schema has no description.
 */
function ownText(markdown: string): string {
  return markdown
    .split('\n')
    .filter((line) => !/^#{1,6} /.test(line) && !/^Source: /.test(line))
    .join('\n')
    .trim();
}

/** Every mapping key of a YAML text with its 0-based position and its dotted path. */
function keysOf(text: string): { path: string; line: number; character: number }[] {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter });
  const out: { path: string; line: number; character: number }[] = [];
  const walk = (node: unknown, path: string) => {
    if (isMap(node)) {
      for (const pair of node.items) {
        if (!isPair(pair) || !isScalar(pair.key) || !pair.key.range) continue;
        const key = String(pair.key.value);
        const pos = lineCounter.linePos(pair.key.range[0]);
        out.push({ path: `${path}.${key}`, line: pos.line - 1, character: pos.col - 1 });
        walk(pair.value, `${path}.${key}`);
      }
    } else if (isSeq(node)) {
      for (const [i, item] of (node.items as Node[]).entries()) walk(item, `${path}[${i}]`);
    }
  };
  walk(doc.contents, '');
  return out;
}

const EXAMPLES = readdirSync(join(ROOT, 'pipelines'))
  .filter((f) => f.endsWith('.yaml'))
  .sort();

beforeAll(async () => {
  lsp = startLsp(process.execPath, [SERVER, '--stdio'], {
    cwd: ROOT,
    configuration: (section) => (section === 'yaml' ? SETTINGS.yaml : section === undefined ? SETTINGS : null),
  });
  await lsp.request('initialize', {
    processId: process.pid,
    rootUri: pathToFileURL(ROOT).href,
    capabilities: {
      workspace: { configuration: true },
      textDocument: {
        hover: { contentFormat: ['markdown', 'plaintext'] },
        completion: { completionItem: { documentationFormat: ['markdown', 'plaintext'] } },
        publishDiagnostics: { versionSupport: true },
      },
    },
    workspaceFolders: [{ uri: pathToFileURL(ROOT).href, name: 'pipewright' }],
  });
  lsp.notify('initialized', {});
  lsp.notify('workspace/didChangeConfiguration', { settings: SETTINGS });
}, 60_000);

afterAll(async () => {
  await lsp?.close();
});

describe('yaml-language-server on the shipped examples', () => {
  it('finds the examples', () => expect(EXAMPLES.length).toBeGreaterThan(0));

  for (const file of EXAMPLES) {
    it(`${file}: zero diagnostics and a non-empty hover on every key`, async () => {
      const path = join(ROOT, 'pipelines', file);
      const uri = pathToFileURL(path).href;
      const text = readFileSync(path, 'utf8');
      expect(text.startsWith('# yaml-language-server: $schema=../schema/pipeline.schema.json')).toBe(true);
      expect(await diagnose(uri, text)).toEqual([]);
      const keys = keysOf(text);
      expect(keys.length).toBeGreaterThan(10);
      const empty: string[] = [];
      for (const key of keys) {
        const result = await lsp.request('textDocument/hover', {
          textDocument: { uri },
          position: { line: key.line, character: key.character + 1 },
        });
        if (ownText(hoverText(result)) === '') empty.push(`${key.path} (${key.line + 1}:${key.character + 1})`);
      }
      expect(empty, 'keys without hover text').toEqual([]);
    }, 120_000);
  }
});

const HEADER = `# yaml-language-server: $schema=../schema/pipeline.schema.json
apiVersion: pipewright.dev/v1
kind: Pipeline
metadata:
  name: orders
  version: "1.0.0"
  owner: analytics
spec:
  tasks:
    extract:
      image: registry.example.com/etl:1.4.2
      command: [python, -m, etl.extract]
`;

/** A typical mistake: the text replaced, the 1-based line and column of the node the diagnostic must start at, and
 * words the message must contain. */
interface Mistake {
  name: string;
  from: string;
  to: string;
  line: number;
  column: number;
  says: RegExp;
}

const MISTAKES: Mistake[] = [
  { name: 'unquoted version', from: 'version: "1.0.0"', to: 'version: 1.10', line: 6, column: 12, says: /string/i },
  {
    name: 'version that is not MAJOR.MINOR.PATCH',
    from: 'version: "1.0.0"',
    to: 'version: "1.10"',
    line: 6,
    column: 12,
    says: /semantic version MAJOR\.MINOR\.PATCH/,
  },
  {
    name: 'duration without a unit',
    from: '      command: [python, -m, etl.extract]\n',
    to: '      command: [python, -m, etl.extract]\n      timeout: "90"\n',
    line: 13,
    column: 16,
    says: /must be a duration/,
  },
  {
    name: 'misspelt property',
    from: '      command: [python, -m, etl.extract]\n',
    to: '      command: [python, -m, etl.extract]\n      retires: 3\n',
    line: 13,
    column: 7,
    says: /retires/,
  },
  {
    name: 'unknown task type',
    from: '      image:',
    to: '      type: job\n      image:',
    line: 11,
    column: 13,
    says: /check.*task|task.*check/,
  },
  {
    name: 'task id with a space',
    from: '    extract:',
    to: '    extract orders:',
    line: 10,
    column: 5,
    says: /letters, digits, '-' and '_'/,
  },
  {
    name: 'bad pipeline name',
    from: 'name: orders',
    to: 'name: Orders',
    line: 5,
    column: 9,
    says: /lowercase letters/,
  },
  {
    name: 'secret reference that is a value',
    from: '      image:',
    to: '      secrets:\n        TOKEN: { ref: "hunter2" }\n      image:',
    line: 12,
    column: 23,
    says: /secret reference <secret-name>\/<key>/,
  },
  {
    name: 'missing command',
    from: '      command: [python, -m, etl.extract]\n',
    to: '',
    line: 10,
    column: 5,
    says: /command/,
  },
];

describe('yaml-language-server on typical mistakes', () => {
  it('the header alone is clean', async () => {
    const uri = pathToFileURL(join(ROOT, 'pipelines', 'editor-clean.yaml')).href;
    expect(await diagnose(uri, HEADER)).toEqual([]);
  }, 60_000);

  for (const mistake of MISTAKES) {
    it(`${mistake.name}: one diagnostic at ${mistake.line}:${mistake.column}, in words`, async () => {
      expect(HEADER.includes(mistake.from)).toBe(true);
      const uri = pathToFileURL(join(ROOT, 'pipelines', `editor-${mistake.name.replace(/\W+/g, '-')}.yaml`)).href;
      const diagnostics = await diagnose(uri, HEADER.replace(mistake.from, mistake.to));
      expect(diagnostics.length, JSON.stringify(diagnostics)).toBeGreaterThan(0);
      const at = diagnostics.filter(
        (d) => d.range.start.line === mistake.line - 1 && d.range.start.character === mistake.column - 1,
      );
      expect(at.length, JSON.stringify(diagnostics)).toBe(1);
      expect(at[0]!.message).toMatch(mistake.says);
      for (const d of diagnostics) {
        expect(d.message, 'a raw regular expression reached the user').not.toMatch(
          /\^|\$|\\d|\[a-z|\[A-Z|does not match the pattern/,
        );
      }
    }, 60_000);
  }
});

describe('yaml-language-server completion', () => {
  it('offers the task keys with their documentation, and the task types with theirs', async () => {
    const text = HEADER.replace('      image:', '      \n      image:');
    const uri = pathToFileURL(join(ROOT, 'pipelines', 'editor-completion.yaml')).href;
    await diagnose(uri, text);
    const list = (await lsp.request('textDocument/completion', {
      textDocument: { uri },
      position: { line: 10, character: 6 },
    })) as { items: { label: string; documentation?: unknown }[] };
    const byLabel = new Map(list.items.map((i) => [i.label, i]));
    for (const key of ['retries', 'resources', 'pool', 'secrets', 'needs', 'timeout']) {
      const item = byLabel.get(key);
      expect(item, `completion for ${key}`).toBeDefined();
      expect(ownText(hoverText({ contents: item!.documentation ?? '' })), `documentation of ${key}`).not.toBe('');
    }

    const typed = HEADER.replace('      image:', '      type: \n      image:');
    const uri2 = pathToFileURL(join(ROOT, 'pipelines', 'editor-completion-enum.yaml')).href;
    await diagnose(uri2, typed);
    const values = (await lsp.request('textDocument/completion', {
      textDocument: { uri: uri2 },
      position: { line: 10, character: 12 },
    })) as { items: { label: string; documentation?: unknown }[] };
    const check = values.items.find((i) => i.label === 'check');
    expect(check, JSON.stringify(values.items.map((i) => i.label))).toBeDefined();
    expect(hoverText({ contents: check!.documentation ?? '' })).toMatch(/data-quality/);
  }, 60_000);
});
