/**
 * loadSpec: YAML text → SpecDocument (value + source ranges + loader diagnostics), never throwing.
 *
 * Hostile input is handled in three passes so that no input can hang or crash the process (see HAZARDS.md):
 *  1. text checks: size cap, lone CR, stray byte order marks;
 *  2. the concrete syntax tree (yaml's Parser, iterative): nesting depth, directives, documents, anchors, aliases and
 *     comments are read from it, before anything recursive touches the input;
 *  3. the AST (yaml's Composer, YAML 1.2 core schema, string keys): duplicate, merge, forbidden and null keys; the JS
 *     value is built from it by hand, so aliases are never expanded and `__proto__` is never assigned.
 * The value is only produced when the loader found no error: a half-read file is not validated further.
 */
import {
  Composer,
  CST,
  type Document,
  isAlias,
  isMap,
  isPair,
  isScalar,
  isSeq,
  Lexer,
  type Node,
  type Pair,
  Parser,
  Scalar,
  type YAMLError,
} from 'yaml';
import type { DiagnosticCode } from '../diagnostics/codes.js';
import { type Diagnostic, type SourceRange, sortDiagnostics } from '../diagnostics/diagnostic.js';
import type { SpecDocument, SpecPath } from './document.js';
import { findBadIndentation } from './indentation.js';
import { redactSecrets } from './secrets.js';

/** Specs are small; anything bigger is a mistake or an attack. */
export const MAX_SPEC_BYTES = 1024 * 1024;
/** Real specs nest about 6 levels deep; the cap keeps every later (recursive) stage safe. */
export const MAX_NESTING_DEPTH = 64;
/**
 * Longest mapping key. YAML readers reject implicit keys over 1024 characters, compile writes keys implicitly, and
 * some keys are written with a prefix (a param `name` becomes `PIPEWRIGHT_PARAM_NAME`): 1000 leaves room for it.
 */
export const MAX_KEY_LENGTH = 1000;
/**
 * The lexer pre-pass only cuts off pathological depth (it sees a lower bound, so it reports a later position than the
 * exact CST walk would): moderately-too-deep input still gets the exact position from the CST walk.
 */
const LEXER_DEPTH_GUARD = 2 * MAX_NESTING_DEPTH;

const COMPOSE_OPTIONS = {
  version: '1.2',
  schema: 'core',
  merge: false,
  // Duplicates are detected here (with both positions, and `1` vs "1" as one key) instead of yaml's uniqueKeys check.
  uniqueKeys: false,
  stringKeys: true,
  strict: true,
  resolveKnownTags: false,
  prettyErrors: false,
} as const;

/** yaml's error codes for a line that is indented wrongly (they come in cascades; see indentationProblem). */
const INDENTATION_CODES = new Set<string>([
  'BAD_INDENT',
  'BLOCK_AS_IMPLICIT_KEY',
  'MULTILINE_IMPLICIT_KEY',
  'MISSING_CHAR',
  'UNEXPECTED_TOKEN',
]);

const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);
const NULL_KEY_SOURCES = new Set(['', '~', 'null', 'Null', 'NULL']);
const COLLECTION_TYPES = new Set(['block-map', 'block-seq', 'flow-collection']);

type AstNode = Node | Pair | null | undefined;

export function loadSpec(file: string, source: string): SpecDocument {
  return new Loader(file, source).load();
}

/** A document for a file that was not read at all (too large, not UTF-8): one diagnostic at 1:1, no value. */
export function rejectedSpec(file: string, code: DiagnosticCode, message: string): SpecDocument {
  const range: SourceRange = { start: { line: 1, column: 1 }, end: { line: 1, column: 1 } };
  return {
    file,
    source: '',
    value: undefined,
    diagnostics: [{ file, range, severity: 'error', code, message }],
    comments: [],
    rangeOf: () => range,
  };
}

/** The PW008 message for a file over MAX_SPEC_BYTES (shared by loadSpec and readers that check the size first). */
export function tooLargeMessage(bytes: number): string {
  return `file is ${formatBytes(bytes)}; the limit is ${formatBytes(MAX_SPEC_BYTES)} (1 MiB)`;
}

class Loader {
  /** Offsets where each line starts, computed on first use (most documents never need a position). */
  private lineStarts: number[] | undefined;
  private readonly diagnostics: Diagnostic[] = [];
  private readonly comments: SpecDocument['comments'] = [];
  private doc: Document.Parsed | undefined;
  private readonly text: string;

  constructor(
    private readonly file: string,
    source: string,
  ) {
    // A leading byte order mark is legal YAML but invisible in editors: drop it so columns match what users see.
    this.text = source.startsWith('\uFEFF') ? source.slice(1) : source;
  }

  load(): SpecDocument {
    const value = this.read();
    return {
      file: this.file,
      source: this.text,
      value,
      diagnostics: sortDiagnostics(this.diagnostics),
      comments: this.comments,
      rangeOf: (path, options) => this.rangeOf(path, options),
    };
  }

  private read(): unknown {
    const bytes = Buffer.byteLength(this.text, 'utf8');
    if (bytes > MAX_SPEC_BYTES) {
      this.report('PW008', 0, 0, tooLargeMessage(bytes));
      return undefined;
    }
    // yaml reads a lone CR as part of a line: whatever it reported after it would be noise.
    if (!this.checkCharacters()) return undefined;
    const lexemes = this.checkNesting();
    if (!lexemes) return undefined;
    // the parser is fed the lexemes of the nesting pass: the text is lexed once
    const parser = new Parser();
    const tokens: CST.Token[] = [];
    for (const lexeme of lexemes) for (const token of parser.next(lexeme)) tokens.push(token);
    for (const token of parser.end()) tokens.push(token);
    if (!this.checkTokens(tokens)) return undefined;
    if (!tokens.some((t) => t.type === 'document')) {
      this.reportEmpty();
      return undefined;
    }
    const docs = [...new Composer(COMPOSE_OPTIONS).compose(tokens, true, this.text.length)];
    const doc = docs[0];
    if (!doc) return undefined;
    this.doc = doc;
    const problems = [...doc.errors, ...doc.warnings];
    const indentation = this.indentationProblem(problems);
    for (const error of problems) {
      if (indentation && INDENTATION_CODES.has(error.code)) continue;
      this.reportYamlError(error);
    }
    if (doc.contents === null || (isScalar(doc.contents) && doc.contents.value === null && !doc.contents.source)) {
      this.reportEmpty();
      return undefined;
    }
    this.checkKeys(doc.contents);
    if (this.diagnostics.some((d) => d.severity === 'error')) return undefined;
    return toValue(doc.contents);
  }

  /** Lone CR line breaks (old Mac) and BOMs after the start confuse every line-based tool: reject them by position. */
  private checkCharacters(): boolean {
    const cr = /\r(?!\n)/.exec(this.text);
    if (cr) {
      this.report(
        'PW001',
        cr.index,
        cr.index + 1,
        'lone carriage return (CR) line break: save the file with LF (or CRLF) line endings',
      );
      return false;
    }
    const control = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]/.exec(this.text);
    if (control) {
      const hex = control[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, '0');
      this.report(
        'PW001',
        control.index,
        control.index + 1,
        `control character U+${hex} is not allowed in YAML (use an escape such as "\\x${hex.slice(2)}" in a double-quoted string)`,
      );
      return false;
    }
    for (const m of this.text.matchAll(/\uFEFF/g)) {
      this.report(
        'PW001',
        m.index,
        m.index + 1,
        'byte order mark (U+FEFF) inside the file: it is only allowed as the very first character',
      );
    }
    return true;
  }

  /**
   * A fast first pass with yaml's Lexer (linear, no tree): yaml's Parser slows down badly on pathological nesting
   * (a 1 MiB run of `[` takes seconds), so depth beyond LEXER_DEPTH_GUARD is rejected here. Counts are lower bounds of the real
   * depth — open flow collections, plus block indicators (`- `, `? `) opened on the current line — so a valid document
   * is never rejected; subtler nesting is caught exactly by the CST walk. Returns the lexemes (the parser's input), or
   * undefined when the input is too deep.
   */
  private checkNesting(): string[] | undefined {
    const lexemes: string[] = [];
    let offset = 0;
    let flow = 0;
    let compact = 0;
    let scalarNext = false;
    for (const token of new Lexer().lex(this.text)) {
      lexemes.push(token);
      if (token === CST.SCALAR) {
        scalarNext = true;
        continue;
      }
      if (token === CST.DOCUMENT || token === CST.FLOW_END) continue;
      if (scalarNext) {
        scalarNext = false;
      } else {
        switch (CST.tokenType(token)) {
          case 'flow-map-start':
          case 'flow-seq-start':
            flow++;
            break;
          case 'flow-map-end':
          case 'flow-seq-end':
            flow = Math.max(0, flow - 1);
            break;
          case 'seq-item-ind':
          case 'explicit-key-ind':
            if (flow === 0) compact++;
            break;
          case 'newline':
            compact = 0;
            break;
        }
        if (flow + compact > LEXER_DEPTH_GUARD) {
          this.report('PW008', offset, offset + 1, `nesting is deeper than ${MAX_NESTING_DEPTH} levels`);
          return undefined;
        }
      }
      offset += token.length;
    }
    return lexemes;
  }

  /**
   * One iterative walk over the CST: depth cap, directives, extra documents, anchors, aliases, comments.
   * Returns false when composing the AST would not be safe (too deep).
   */
  private checkTokens(tokens: CST.Token[]): boolean {
    let documents = 0;
    const anchors: { name: string; offset: number; end: number }[] = [];
    const aliases = new Map<string, number>();
    const undefinedAliases: { name: string; offset: number; end: number }[] = [];
    // A depth-first walk in source order over an explicit stack (hostile nesting cannot overflow the call stack). The
    // stack is two parallel arrays and children are pushed without a temporary array: a spec has thousands of CST
    // nodes and this walk runs for every spec read (compile's workers and changelog's blob parses profile it).
    const stack: unknown[] = [];
    const depths: number[] = [];
    for (let i = tokens.length - 1; i >= 0; i--) {
      stack.push(tokens[i]);
      depths.push(0);
    }
    while (stack.length > 0) {
      const node = stack.pop();
      const depth = depths.pop()!;
      if (node === null || typeof node !== 'object') continue;
      if (Array.isArray(node)) {
        for (let i = node.length - 1; i >= 0; i--) {
          const child: unknown = node[i];
          if (child === null || typeof child !== 'object') continue;
          stack.push(child);
          depths.push(depth);
        }
        continue;
      }
      const token = node as { type?: string; offset?: number; source?: string };
      let childDepth = depth;
      if (token.type !== undefined && COLLECTION_TYPES.has(token.type)) {
        childDepth = depth + 1;
        if (childDepth > MAX_NESTING_DEPTH) {
          const at = token.offset ?? 0;
          this.report('PW008', at, at + 1, `nesting is deeper than ${MAX_NESTING_DEPTH} levels`);
          return false;
        }
      }
      const offset = token.offset ?? 0;
      const source = token.source ?? '';
      switch (token.type) {
        case 'document':
          documents++;
          if (documents === 2) {
            this.report(
              'PW006',
              offset,
              offset + 3,
              'a second YAML document starts here: one file holds exactly one pipeline (split it into two files)',
            );
          }
          break;
        case 'directive': {
          const name = source.split(/\s/, 1)[0] ?? source;
          this.report(
            'PW005',
            offset,
            offset + name.length,
            `${name} directive is not allowed: specs are always read as YAML 1.2 (remove the directive)`,
          );
          break;
        }
        case 'comment':
          this.comments.push({ text: source, range: this.range(offset, offset + source.length) });
          break;
        case 'anchor':
          anchors.push({ name: source.slice(1), offset, end: offset + source.length });
          break;
        case 'alias': {
          const name = source.slice(1);
          if (anchors.some((a) => a.name === name)) aliases.set(name, (aliases.get(name) ?? 0) + 1);
          else undefinedAliases.push({ name, offset, end: offset + source.length });
          break;
        }
      }
      // Children, in source order (pushed forward, then that run of the stack reversed). Only plain CST objects are
      // walked; strings are leaves. CST tokens are plain objects: for…in sees their own properties only.
      const first = stack.length;
      for (const key in node) {
        const child: unknown = (node as Record<string, unknown>)[key];
        if (child === null || typeof child !== 'object') continue;
        stack.push(child);
        depths.push(childDepth);
      }
      for (let lo = first, hi = stack.length - 1; lo < hi; lo++, hi--) {
        const swap = stack[lo];
        stack[lo] = stack[hi];
        stack[hi] = swap;
      }
    }
    for (const a of anchors) {
      const uses = aliases.get(a.name) ?? 0;
      aliases.delete(a.name);
      this.report(
        'PW003',
        a.offset,
        a.end,
        `YAML anchor &${a.name} is not allowed (used by ${uses} alias${uses === 1 ? '' : 'es'}): specs take no anchors or aliases, write the value out or use spec.defaults`,
      );
    }
    for (const a of undefinedAliases) {
      this.report(
        'PW003',
        a.offset,
        a.end,
        `YAML alias *${a.name} is not allowed: specs take no anchors or aliases, write the value out`,
      );
    }
    return true;
  }

  /**
   * yaml reports a misindented line as a cascade of errors that often point at the line before ("Nested mappings are
   * not allowed in compact mappings"): find the line that is off and say by how much, yamllint-style. Reported in
   * place of that cascade (returns true); false when the errors are not about indentation or no line is clearly off.
   */
  private indentationProblem(problems: readonly YAMLError[]): boolean {
    const related = problems.filter((e) => INDENTATION_CODES.has(e.code));
    if (related.length === 0) return false;
    const lastLine = Math.max(...related.map((e) => this.position(e.pos[0]).line));
    const bad = findBadIndentation(this.text, lastLine + 1);
    if (!bad) return false;
    const start = this.offsetOfLine(bad.line) + bad.found;
    const token = /^(?:-|[^\s:#]+(?::(?=\s|$))?)/.exec(this.text.slice(start))?.[0] ?? ' ';
    const end = start + (token.endsWith(':') ? token.length - 1 : token.length);
    const s = (n: number) => `${n} space${n === 1 ? '' : 's'}`;
    this.report('PW001', start, end, `wrong indentation: expected ${s(bad.expected)}, found ${bad.found}`);
    return true;
  }

  private offsetOfLine(line: number): number {
    this.position(0);
    return this.lineStarts![line - 1] ?? this.text.length;
  }

  private reportEmpty(): void {
    const onlyComments = this.comments.length > 0;
    this.report(
      'PW007',
      0,
      0,
      onlyComments
        ? 'file holds only comments: expected a Pipeline mapping (apiVersion, kind, metadata, spec)'
        : 'file is empty: expected a Pipeline mapping (apiVersion, kind, metadata, spec)',
    );
  }

  private reportYamlError(error: YAMLError): void {
    const [start, end] = error.pos;
    switch (error.code) {
      case 'TAG_RESOLVE_FAILED': {
        const tag = /^![^\s]*/.exec(this.text.slice(start, end))?.[0] ?? 'tag';
        this.report(
          'PW009',
          start,
          start + tag.length,
          `tag ${tag} is not allowed: only YAML 1.2 core tags (!!str, !!int, !!float, !!bool, !!null, !!map, !!seq)`,
        );
        return;
      }
      case 'NON_STRING_KEY':
        this.report('PW011', start, end, 'a mapping key must be a plain string, not a collection (complex key)');
        return;
      case 'MULTIPLE_DOCS':
        this.report('PW006', start, end, 'only one YAML document is allowed per file');
        return;
      case 'BAD_DIRECTIVE':
        this.report('PW005', start, end, 'YAML directives are not allowed');
        return;
      case 'RESOURCE_EXHAUSTION':
        this.report('PW008', start, end, 'the document is too complex to read safely');
        return;
      case 'TAB_AS_INDENT':
        this.report('PW001', start, end, 'tabs are not allowed as indentation: indent with spaces');
        return;
      default: {
        const firstLine = error.message.split('\n', 1)[0] ?? error.message;
        const message = firstLine.replace(/ at line \d+, column \d+:?$/, '').replace(/:$/, '');
        this.report('PW001', start, end, `YAML syntax: ${lowerFirst(redactSecrets(message))}`);
      }
    }
  }

  /**
   * Per mapping: duplicate keys (both positions), merge keys, prototype keys, null keys, keys too long to write back.
   * Every string scalar: no NUL character (no argv, environment or target file can carry one).
   */
  private checkKeys(root: AstNode): void {
    const stack: AstNode[] = [root];
    while (stack.length > 0) {
      const node = stack.pop();
      if (isMap(node)) {
        const seen = new Map<string, Scalar>();
        for (const pair of node.items) {
          const key = pair.key;
          if (isScalar(key)) this.checkKey(key, seen);
          if (isMap(key) || isSeq(key)) stack.push(key);
          stack.push(pair.value as AstNode);
        }
      } else if (isSeq(node)) {
        for (const item of node.items) stack.push(item as AstNode);
      } else if (isScalar(node)) {
        this.checkNul(node);
      }
    }
  }

  private checkNul(scalar: Scalar): void {
    if (typeof scalar.value !== 'string' || !scalar.value.includes('\0')) return;
    const [start, end] = scalar.range ?? [0, 0];
    this.report(
      'PW012',
      start,
      end,
      'string contains a NUL character (U+0000): no command, environment variable or target file can carry it; remove the \\0 / \\x00 / \\u0000 escape',
    );
  }

  private checkKey(key: Scalar, seen: Map<string, Scalar>): void {
    const [start, end] = key.range ?? [0, 0];
    const name = String(key.value);
    this.checkNul(key);
    if (name.length > MAX_KEY_LENGTH) {
      this.report(
        'PW008',
        start,
        end,
        `key is ${name.length} characters long; the limit is ${MAX_KEY_LENGTH} (YAML readers reject longer keys in the files compile writes)`,
      );
    }
    if (key.type === Scalar.PLAIN && NULL_KEY_SOURCES.has(key.source ?? String(key.value))) {
      this.report('PW011', start, Math.max(end, start + 1), 'a mapping key must be a non-empty string, not null');
      return;
    }
    if (name === '<<' && key.type === Scalar.PLAIN) {
      this.report(
        'PW004',
        start,
        end,
        'merge keys (<<) are not supported: YAML 1.2 has no merge keys, write the keys out in full',
      );
    } else if (FORBIDDEN_KEYS.has(name)) {
      this.report(
        'PW010',
        start,
        end,
        `key '${name}' is not allowed (it can alter object prototypes in tools reading this file)`,
      );
    }
    const first = seen.get(name);
    if (first) {
      const firstRange = this.range(first.range?.[0] ?? 0, first.range?.[1] ?? 0);
      const at = `${firstRange.start.line}:${firstRange.start.column}`;
      this.report('PW002', start, end, `duplicate key '${printable(name)}' (previously defined at ${at})`, [
        { file: this.file, range: firstRange, message: `'${printable(name)}' first defined here` },
      ]);
    } else {
      seen.set(name, key);
    }
  }

  private rangeOf(path: SpecPath, options?: { key?: boolean }): SourceRange {
    const contents = this.doc?.contents;
    if (!contents) return this.range(0, 0);
    let node: AstNode = contents;
    let keyNode: AstNode;
    for (const segment of path) {
      let next: AstNode;
      let nextKey: AstNode;
      if (isMap(node)) {
        const pair: Pair | undefined = (node.items as Pair[]).find(
          (p) => isScalar(p.key) && String(p.key.value) === String(segment),
        );
        if (pair) {
          next = (pair.value as AstNode) ?? (pair.key as AstNode);
          nextKey = pair.key as AstNode;
        }
      } else if (isSeq(node) && typeof segment === 'number') {
        next = node.items[segment] as AstNode;
        nextKey = next;
      }
      if (!next) break;
      node = next;
      keyNode = nextKey;
    }
    // The document itself has no key: its "key" is the point where it starts.
    if (options?.key && !keyNode) {
      const at = node && !isPair(node) && 'range' in node && node.range ? node.range[0] : 0;
      return this.range(at, at);
    }
    const target = options?.key ? keyNode : node;
    const range = !isPair(target) && target && 'range' in target ? target.range : undefined;
    if (!range) return this.range(0, 0);
    return this.range(range[0], range[1]);
  }

  private range(start: number, end: number): SourceRange {
    return { start: this.position(start), end: this.position(Math.max(start, end)) };
  }

  /** 1-based line and column of an offset (columns count UTF-16 units, like editors' LSP positions). */
  private position(offset: number): { line: number; column: number } {
    if (!this.lineStarts) {
      this.lineStarts = [0];
      for (let i = this.text.indexOf('\n'); i !== -1; i = this.text.indexOf('\n', i + 1)) this.lineStarts.push(i + 1);
    }
    const starts = this.lineStarts;
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (starts[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, column: offset - starts[lo]! + 1 };
  }

  private report(
    code: DiagnosticCode,
    start: number,
    end: number,
    message: string,
    related?: Diagnostic['related'],
  ): void {
    this.diagnostics.push({
      file: this.file,
      range: this.range(start, end),
      severity: 'error',
      code,
      message,
      ...(related ? { related } : {}),
    });
  }
}

/** AST → plain JS value. Only called on error-free documents (depth-capped, no aliases, no forbidden keys). */
function toValue(node: AstNode): unknown {
  if (node === null || node === undefined) return null;
  if (isScalar(node)) return node.value;
  if (isSeq(node)) return node.items.map((item) => toValue(item as AstNode));
  if (isMap(node)) {
    const out: Record<string, unknown> = {};
    for (const pair of node.items) {
      const key = isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
      // defineProperty never triggers the __proto__ setter, even if a forbidden key slipped through.
      Object.defineProperty(out, key, {
        value: toValue(pair.value as AstNode),
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
    return out;
  }
  if (isAlias(node)) throw new Error('internal: alias reached toValue despite the loader check');
  return null;
}

/** Shows invisible characters (NBSP, zero-width …) so a message explains why two "equal" names differ. */
export function printable(text: string): string {
  return text.replace(/[^\x20-\x7e]/g, (ch) => `\\u${ch.codePointAt(0)!.toString(16).padStart(4, '0')}`);
}

function lowerFirst(text: string): string {
  return text.length > 0 ? text[0]!.toLowerCase() + text.slice(1) : text;
}

function formatBytes(bytes: number): string {
  return `${bytes.toLocaleString('en-US')} bytes`;
}
