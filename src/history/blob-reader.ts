import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { MAX_SPEC_BYTES } from '../spec/load.js';
import { isFullSha } from './revs.js';

/** The reply for a blob over the reader's size cap: its size, its content never buffered. */
export interface BlobTooLarge {
  tooLarge: number;
}

interface Pending {
  id: string;
  resolve: (content: Buffer | BlobTooLarge | undefined) => void;
  reject: (error: Error) => void;
}

/** The reply being received: its header was parsed, `received` bytes of content + trailing newline arrived. */
interface Body {
  type: string;
  size: number;
  /** The content so far; undefined while skipping a blob over the cap. */
  buffer: Buffer | undefined;
  received: number;
}

/** Longest header line accepted (`<oid> <type> <size>`): anything longer is not git's. */
const MAX_HEADER = 256;

/**
 * One `git cat-file --batch` child process serving every blob a command needs (a process per file would dominate the
 * run time on long histories). Requests are object ids written one per line; replies come back in the same order as
 * `<oid> <type> <size>\n<content>\n` or `<oid> missing\n`, so a FIFO of pending requests pairs them up.
 * Only full object ids are accepted: nothing user-controlled reaches the process.
 *
 * Reading is linear in the bytes git sends: the header's size decides, before any content arrives, whether the
 * content is collected (into one buffer of exactly that size, each chunk copied once) or — over `maxBytes`, the spec
 * size cap by default — skipped as it streams, the reply then being `{ tooLarge: size }`.
 */
export class BlobReader {
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly pending: Pending[] = [];
  private header: Buffer[] = [];
  private headerLength = 0;
  private body: Body | undefined;
  private failure: Error | undefined;
  private stderr = '';
  private closing = false;
  private readonly exited: Promise<void>;

  constructor(
    repoRoot: string,
    private readonly maxBytes: number = MAX_SPEC_BYTES,
  ) {
    this.child = spawn('git', ['cat-file', '--batch'], { cwd: repoRoot, stdio: ['pipe', 'pipe', 'pipe'] });
    this.child.stdout.on('data', (chunk: Buffer) => this.receive(chunk));
    this.child.stderr.on('data', (chunk: Buffer) => {
      if (this.stderr.length < 10_000) this.stderr += chunk.toString('utf8');
    });
    this.child.stdin.on('error', (error) => this.fail(error));
    this.exited = new Promise((resolve) => {
      this.child.on('error', (error) => {
        this.fail(new Error(`cannot start git cat-file: ${error.message}`));
        resolve();
      });
      this.child.on('close', (code) => {
        // Every later read fails at once instead of waiting for a reply that cannot come.
        this.fail(new Error(`git cat-file exited (${code})${this.stderr.trim() ? `: ${this.stderr.trim()}` : ''}`));
        resolve();
      });
    });
  }

  /** Content of the blob `id`, `{ tooLarge }` when it is over the cap, or undefined when it does not exist. */
  read(id: string): Promise<Buffer | BlobTooLarge | undefined> {
    if (!isFullSha(id)) return Promise.reject(new Error(`not a full object id: ${JSON.stringify(id)}`));
    if (this.failure) return Promise.reject(this.failure);
    if (this.closing) return Promise.reject(new Error('the blob reader is closed'));
    return new Promise((resolve, reject) => {
      this.pending.push({ id, resolve, reject });
      this.child.stdin.write(`${id}\n`, (error) => {
        if (error) this.fail(error);
      });
    });
  }

  /** Ends the child process and waits for it. */
  async close(): Promise<void> {
    this.closing = true;
    this.child.stdin.end();
    await this.exited;
  }

  private fail(error: Error): void {
    this.failure ??= error;
    for (const p of this.pending.splice(0)) p.reject(this.failure);
  }

  private abort(message: string): void {
    this.fail(new Error(message));
    this.child.kill();
  }

  /** Consume one chunk of stdout: each byte is looked at once (header lines are short). */
  private receive(chunk: Buffer): void {
    let pos = 0;
    while (pos < chunk.length && !this.failure) {
      if (this.body === undefined) {
        const newline = chunk.indexOf(0x0a, pos);
        const end = newline === -1 ? chunk.length : newline;
        this.header.push(chunk.subarray(pos, end));
        this.headerLength += end - pos;
        if (this.headerLength > MAX_HEADER) {
          this.abort('git cat-file sent a header line that is too long');
          return;
        }
        if (newline === -1) return;
        pos = newline + 1;
        const line = Buffer.concat(this.header, this.headerLength).toString('utf8');
        this.header = [];
        this.headerLength = 0;
        this.startReply(line);
        continue;
      }
      const body = this.body;
      // content bytes still missing, then the trailing newline
      const take = Math.min(body.size + 1 - body.received, chunk.length - pos);
      const content = Math.min(take, body.size - body.received);
      if (body.buffer && content > 0) chunk.copy(body.buffer, body.received, pos, pos + content);
      body.received += take;
      pos += take;
      if (body.received === body.size + 1) this.finishReply(body);
    }
  }

  private startReply(line: string): void {
    const head = this.pending[0];
    if (!head) {
      this.abort(`unexpected git cat-file output ${JSON.stringify(line)}`);
      return;
    }
    const parts = line.split(' ');
    if (parts.length === 2 && parts[1] === 'missing') {
      this.pending.shift();
      head.resolve(undefined);
      return;
    }
    if (parts.length !== 3 || parts[0] !== head.id) {
      this.abort(`unexpected git cat-file reply ${JSON.stringify(line)} for ${head.id}`);
      return;
    }
    const size = Number(parts[2]);
    if (!/^\d+$/.test(parts[2]!) || !Number.isSafeInteger(size)) {
      this.abort(`bad size in git cat-file reply ${JSON.stringify(line)}`);
      return;
    }
    // the cap is decided here, before the content arrives: an oversized blob is skipped, never buffered
    const keep = parts[1] === 'blob' && size <= this.maxBytes;
    this.body = { type: parts[1]!, size, buffer: keep ? Buffer.allocUnsafe(size) : undefined, received: 0 };
  }

  private finishReply(body: Body): void {
    this.body = undefined;
    const head = this.pending.shift()!;
    if (body.type !== 'blob') head.reject(new Error(`object ${head.id} is a ${body.type}, not a blob`));
    else head.resolve(body.buffer ?? { tooLarge: body.size });
  }
}
