import { createPrng } from '../prng.js';
import type { Prng } from '../prng.js';
import type { RunClock } from './clock.js';
import { WorkloadConfigError } from './errors.js';
import { DEFAULT_METHOD_MIX, MethodPicker, buildCall } from './methods.js';
import type { MethodMix, WorkloadChain, WorkloadMethod } from './methods.js';
import type { RequestRecord } from './record.js';
import type { RpcTarget, TargetReply } from './target.js';

export interface WorkloadOptions {
  /** Requests per second, sent at fixed intervals whatever earlier requests are doing (open model). */
  rate: number;
  /** How long requests are scheduled, in ms (the run lasts until the last one completes). */
  durationMs: number;
  /** Request kinds and their weights. @default {@link DEFAULT_METHOD_MIX} */
  mix?: MethodMix;
  /** Client-side timeout of one request, in ms. @default 35_000 (beyond Lasso's 30 s deadline) */
  timeoutMs?: number;
  /** eth_getLogs spans at most this many blocks. @default 5 */
  logsRangeBlocks?: number;
}

export interface WorkloadRunOptions {
  target: RpcTarget;
  chain: WorkloadChain;
  /** Seed of the method mix and parameter choices. */
  seed: number;
  /** The run's time base; `start()` begins scheduling at its current time. */
  clock: RunClock;
  /** Called once per finished request (in completion order). */
  onRecord?: (record: RequestRecord) => void;
}

/** Live counters of a running workload. */
export interface WorkloadProgress {
  elapsedMs: number;
  scheduled: number;
  completed: number;
  inFlight: number;
  success: number;
  rpcError: number;
  failed: number;
}

/**
 * An open-model (constant arrival rate) request generator. Request `i` is scheduled at
 * `start + i / rate` and its latency counts from that instant, not from when it was actually
 * sent: when Lasso (or the event loop) stalls, requests keep being issued and every one of them
 * shows the stall, so coordinated omission cannot hide it.
 */
export class Workload {
  /** Finished requests, in completion order (see {@link sortedRecords}). */
  readonly records: RequestRecord[] = [];
  readonly total: number;
  private readonly intervalMs: number;
  private readonly picker: MethodPicker;
  private readonly prng: Prng;
  private readonly timeoutMs: number;
  private scheduled = 0;
  private inFlight = 0;
  private counts = { success: 0, rpcError: 0, failed: 0 };
  private startMs: number | undefined;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private schedulingDone = false;
  private finish: (() => void) | undefined;

  constructor(
    readonly options: WorkloadOptions,
    private readonly run: WorkloadRunOptions,
  ) {
    if (!(options.rate > 0) || !Number.isFinite(options.rate)) throw new WorkloadConfigError(`rate must be a positive number, got ${options.rate}`);
    if (!(options.durationMs >= 0) || !Number.isFinite(options.durationMs)) {
      throw new WorkloadConfigError(`durationMs must be a non-negative number, got ${options.durationMs}`);
    }
    this.picker = new MethodPicker(options.mix ?? DEFAULT_METHOD_MIX);
    if (this.picker.methods.includes('eth_sendRawTransaction') && !run.chain.nextRawTransaction) {
      throw new WorkloadConfigError('eth_sendRawTransaction in the mix needs a transaction supply');
    }
    this.total = Math.floor((options.durationMs * options.rate) / 1000);
    this.intervalMs = 1000 / options.rate;
    this.prng = createPrng(run.seed);
    this.timeoutMs = options.timeoutMs ?? 35_000;
  }

  /** The request kinds this workload draws from. */
  get methods(): readonly WorkloadMethod[] {
    return this.picker.methods;
  }

  /** Run time (clock ms) of request 0; undefined before start. */
  get startedAtMs(): number | undefined {
    return this.startMs;
  }

  /** Schedules every request; resolves when the last one has completed (or `stop()` was called and in-flight ones finished). */
  start(): Promise<void> {
    if (this.startMs !== undefined) throw new WorkloadConfigError('a workload runs once');
    this.startMs = this.run.clock.now();
    const done = new Promise<void>((resolve) => {
      this.finish = resolve;
    });
    this.tick();
    return done;
  }

  /** Stops scheduling; requests in flight still complete. */
  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.schedulingDone = true;
    this.maybeFinish();
  }

  progress(): WorkloadProgress {
    return {
      elapsedMs: this.startMs === undefined ? 0 : this.run.clock.now() - this.startMs,
      scheduled: this.scheduled,
      completed: this.records.length,
      inFlight: this.inFlight,
      ...this.counts,
    };
  }

  /** Finished requests in schedule order. */
  sortedRecords(): RequestRecord[] {
    return [...this.records].sort((a, b) => a.seq - b.seq);
  }

  private tick(): void {
    this.timer = undefined;
    if (this.stopped) return;
    const start = this.startMs ?? 0;
    const now = this.run.clock.now();
    // Fire everything that is due, even if the loop woke up late: late sends still count from their slot.
    while (this.scheduled < this.total && start + this.scheduled * this.intervalMs <= now) {
      const seq = this.scheduled++;
      this.fire(seq, start + seq * this.intervalMs);
    }
    if (this.scheduled >= this.total) {
      this.schedulingDone = true;
      this.maybeFinish();
      return;
    }
    const wait = Math.max(0, start + this.scheduled * this.intervalMs - this.run.clock.now());
    this.timer = setTimeout(() => this.tick(), wait);
  }

  private fire(seq: number, scheduledMs: number): void {
    const kind = this.picker.pick(this.prng);
    this.inFlight++;
    void this.execute(seq, kind, scheduledMs).finally(() => {
      this.inFlight--;
      this.maybeFinish();
    });
  }

  private async execute(seq: number, kind: WorkloadMethod, scheduledMs: number): Promise<void> {
    const sentMs = this.run.clock.now();
    let method: string = kind;
    let reply: TargetReply;
    try {
      const call = await buildCall(kind, this.run.chain, this.prng, { logsRangeBlocks: this.options.logsRangeBlocks ?? 5 });
      method = call.method;
      reply = await this.run.target.send({ id: seq + 1, method: call.method, params: call.params }, { timeoutMs: this.timeoutMs });
    } catch (err) {
      // A target must not throw; if one does, the request still counts, as a transport failure.
      reply = { failure: 'transport', failureDetail: err instanceof Error ? err.message.slice(0, 200) : 'error' };
    }
    const record = toRecord(seq, kind, method, scheduledMs - (this.startMs ?? 0), sentMs - (this.startMs ?? 0), this.run.clock.now() - scheduledMs, reply);
    if (record.outcome === 'success') this.counts.success++;
    else if (record.outcome === 'rpc_error') this.counts.rpcError++;
    else this.counts.failed++;
    this.records.push(record);
    this.run.onRecord?.(record);
  }

  private maybeFinish(): void {
    if (this.schedulingDone && this.inFlight === 0 && this.finish) {
      const finish = this.finish;
      this.finish = undefined;
      finish();
    }
  }
}

function toRecord(seq: number, kind: string, method: string, scheduledMs: number, sentMs: number, latencyMs: number, reply: TargetReply): RequestRecord {
  const record: RequestRecord = {
    seq,
    kind,
    method,
    scheduledMs: round(scheduledMs),
    sentMs: round(sentMs),
    latencyMs: round(latencyMs),
    outcome: 'failed',
  };
  if (reply.httpStatus !== undefined) record.httpStatus = reply.httpStatus;
  if (reply.provider !== undefined) record.provider = reply.provider;
  if (reply.attempts !== undefined) record.attempts = reply.attempts;
  if (reply.hedged) record.hedged = true;
  if (reply.failure !== undefined) {
    record.failure = reply.failure;
    if (reply.failureDetail !== undefined) record.failureDetail = reply.failureDetail;
  } else if (reply.error !== undefined) {
    record.outcome = reply.errorFromUpstream ? 'rpc_error' : 'failed';
    record.errorCode = reply.error.code;
    record.errorMessage = reply.error.message.slice(0, 200);
    if (reply.error.data !== undefined && JSON.stringify(reply.error.data).length <= 500) record.errorData = reply.error.data;
  } else {
    record.outcome = 'success';
  }
  return record;
}

function round(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}
