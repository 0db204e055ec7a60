/**
 * The daemon's CPU-heavy reading of a commit, off its main thread: verifying a commit compiles every spec and
 * compares generated/ (seconds at 1,000 pipelines), reading its compose artifacts parses every file, and the
 * expected-interval metric walks a year of each schedule's fire times. On the main thread that work held the event
 * loop for whole cycles and /healthz, /metrics and the status page went unanswered (connections reset); in a worker
 * thread the loop keeps answering, and the worker's heap is released when it ends (one worker per commit).
 *
 * The worker answers twice: the verdict first (the commit can be served), then the schedules' longest gaps
 * (metrics only; computed once per cron + time zone, the daemon passes the ones it already knows).
 */
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { longestGapSeconds, type ScheduleSpec } from './calendar.js';
import { readComposePipelines, type Verdict, verifyTree } from './desired.js';

export interface VerifyJob {
  /** verify: check the commit and read its pipelines; read: only read them (a commit verified before a restart). */
  mode: 'verify' | 'read';
  tree: string;
  environment?: string;
  /** The clock for the gaps (ms). */
  now: number;
  /** Gaps already known, by gapKey. */
  knownGaps: Record<string, number | null>;
}

/** A schedule's key for its longest gap (the gap depends on the cron and the time zone only). */
export function gapKey(schedule: Pick<ScheduleSpec, 'cron' | 'timezone'>): string {
  return `${schedule.timezone} ${schedule.cron}`;
}

type Message = { type: 'verdict'; verdict: Verdict } | { type: 'gaps'; gaps: Record<string, number | null> };

const WORKER_TAG = 'pipewright-loop-verify';

/**
 * Run a job in a worker thread. Resolves with the verdict; `onGaps` is called later with the gaps of the schedules
 * that were not known. Rejects when the worker fails (a bug or a read error of a `read` job).
 */
export function verifyOffThread(
  job: VerifyJob,
  onGaps: (gaps: Record<string, number | null>) => void,
): Promise<Verdict> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL(import.meta.url), { workerData: { tag: WORKER_TAG, job } });
    let answered = false;
    worker.on('message', (message: Message) => {
      if (message.type === 'verdict') {
        answered = true;
        resolve(message.verdict);
      } else onGaps(message.gaps);
    });
    worker.on('error', (error) => {
      if (!answered) reject(error);
    });
    worker.on('exit', (code) => {
      if (!answered) reject(new Error(`the verification worker ended (exit ${code}) without an answer`));
    });
    // the worker's gaps are not worth keeping the process alive for (SIGTERM, --once)
    worker.unref();
  });
}

async function work(job: VerifyJob): Promise<void> {
  const port = parentPort!;
  const verdict: Verdict =
    job.mode === 'verify'
      ? await verifyTree(job.tree, job.environment !== undefined ? { environment: job.environment } : {})
      : { ok: true, pipelines: readComposePipelines(job.tree, job.environment) };
  port.postMessage({ type: 'verdict', verdict } satisfies Message);
  if (!verdict.ok) return;
  const gaps: Record<string, number | null> = {};
  const now = new Date(job.now);
  for (const p of verdict.pipelines) {
    if (!p.enabled || !p.schedule) continue;
    const key = gapKey(p.schedule);
    if (key in job.knownGaps || key in gaps) continue;
    try {
      gaps[key] = longestGapSeconds(p.schedule, now) ?? null;
    } catch {
      gaps[key] = null; // a schedule that never fires is reported by the scheduler
    }
  }
  port.postMessage({ type: 'gaps', gaps } satisfies Message);
}

if (!isMainThread && (workerData as { tag?: string } | undefined)?.tag === WORKER_TAG) {
  await work((workerData as { job: VerifyJob }).job);
}
