import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { isFullSha } from './revs.js';

interface Pending {
  id: string;
  resolve: (content: Buffer | undefined) => void;
  reject: (error: Error) => void;
}

/**
 * One `git cat-file --batch` child process serving every blob a command needs (a process per file would dominate the
 * run time on long histories). Requests are object ids written one per line; replies come back in the same order as
 * `<oid> <type> <size>\n<content>\n` or `<oid> missing\n`, so a FIFO of pending requests pairs them up.
 * Only full object ids are accepted: nothing user-controlled reaches the process.
 */
export class BlobReader {
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly pending: Pending[] = [];
  private buffer: Buffer = Buffer.alloc(0);
  private failure: Error | undefined;
  private stderr = '';
  private closing = false;
  private readonly exited: Promise<void>;

  constructor(repoRoot: string) {
    this.child = spawn('git', ['cat-file', '--batch'], { cwd: repoRoot, stdio: ['pipe', 'pipe', 'pipe'] });
    this.child.stdout.on('data', (chunk: Buffer) => {
      this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
      this.drain();
    });
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

  /** Content of the blob `id`, or undefined when the object does not exist. */
  read(id: string): Promise<Buffer | undefined> {
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

  private drain(): void {
    for (;;) {
      const head = this.pending[0];
      if (!head) return;
      const newline = this.buffer.indexOf(0x0a);
      if (newline === -1) return;
      const header = this.buffer.subarray(0, newline).toString('utf8');
      const parts = header.split(' ');
      if (parts.length === 2 && parts[1] === 'missing') {
        this.buffer = this.buffer.subarray(newline + 1);
        this.pending.shift();
        head.resolve(undefined);
        continue;
      }
      if (parts.length !== 3 || parts[0] !== head.id) {
        this.fail(new Error(`unexpected git cat-file reply ${JSON.stringify(header)} for ${head.id}`));
        this.child.kill();
        return;
      }
      const size = Number(parts[2]);
      if (!Number.isSafeInteger(size) || size < 0) {
        this.fail(new Error(`bad size in git cat-file reply ${JSON.stringify(header)}`));
        this.child.kill();
        return;
      }
      // Header, content, and the trailing newline must all be buffered before the reply is complete.
      if (this.buffer.length < newline + 1 + size + 1) return;
      const content = Buffer.from(this.buffer.subarray(newline + 1, newline + 1 + size));
      this.buffer = this.buffer.subarray(newline + 1 + size + 1);
      this.pending.shift();
      if (parts[1] !== 'blob') head.reject(new Error(`object ${head.id} is a ${parts[1]}, not a blob`));
      else head.resolve(content);
    }
  }
}
