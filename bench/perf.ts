/**
 * `npm run bench`: how fast is the detector path against what it cannot avoid? In one run, on one core and on
 * the same Kinesis-style records (base64 JSON events of 1000 random-walk series), it measures per batch size:
 * the decode floor (base64 + JSON.parse), bare onnxruntime scoring of as many feature rows, and the full core
 * path (decode → parseEvent → Detector.detect, states warm across batches). Each figure is a median over reps.
 *
 * Options: `--seconds S` (minimum measuring time per batch size, default 2), `--json` (last stdout line is
 * one JSON object with every figure). To pin the process to one CPU as well: `taskset -c 0 npm run bench`.
 */

import { cpus, loadavg } from 'node:os';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import type { KinesisStreamEvent } from 'aws-lambda';
import { MemoryAlertPublisher, MemoryStateStore, MemoryTimeSeriesStore } from '../adapters/memory-stores.ts';
import { Detector, type SeriesDetectorState } from '../core/detector.ts';
import { type MeasurementEvent, parseEvent } from '../core/events/event-schema.ts';
import { FEATURE_COUNT } from '../core/features/feature-schema.ts';
import type { OnnxScorer } from '../core/scoring/onnx-scorer.ts';
import { createDetectHandler } from '../functions/detect/detect-handler.ts';
import { loadModel } from '../models/model-store.ts';
import { Random } from '../models/random.ts';

const SERIES = 1000;
const ROUND_MS = 60_000;
const BATCH_SIZES = [100, 1000, 10_000] as const;
const MIN_REPS = 20;
/** Upper bound on reps, so a tiny batch does not run for minutes. */
const MAX_REPS = 5000;
/** Untimed reps per batch size before measuring (JIT, allocation sizes). */
const WARMUP_REPS = 5;
/** Points per series pushed through the full path first, so calibration is past its learning phase. */
const WARMUP_ROUNDS = 300;
/** The bars, at batch 1000. */
const BAR_BATCH = 1000;
const BAR_FLOOR_RATIO = 0.5;
const BAR_FULL_RPS = 100_000;
const BAR_HANDLER_RATIO = 0.7;

/**
 * One measured path: processes a batch of base64 Kinesis record payloads. A later path (e.g. the Lambda
 * handler with its middleware) is one more function returning a `BenchPath`, added to the list in `main`.
 */
export interface BenchPath {
  /** Key in the JSON output (`<key>Rps`, `<key>UsPerRecord`). */
  readonly key: string;
  readonly label: string;
  /** Untimed: shapes the records as this path's caller would hand them over (Lambda builds the event). */
  prepare?(records: readonly string[]): unknown;
  run(records: readonly string[], prepared?: unknown): unknown;
}

/** Median figures of one path at one batch size. */
export interface PathFigures {
  readonly rps: number;
  readonly usPerRecord: number;
}

/** Kinesis-style producer: round after round, one event per series, each series its own random walk. */
export class RecordStream {
  private readonly random = new Random(20260501);
  private readonly levels: number[] = [];
  private readonly steps: number[] = [];
  private readonly values: number[] = [];
  private index = 0;
  /** Records produced so far. */
  produced = 0;

  constructor(
    readonly series = SERIES,
    private readonly start = Date.UTC(2026, 0, 1),
  ) {
    for (let i = 0; i < series; i++) {
      const level = 10 ** (this.random.next() * 4);
      this.levels.push(level);
      this.steps.push(level * (0.002 + 0.02 * this.random.next()));
      this.values.push(level);
    }
  }

  /** The next `count` records, in stream order (series-0..series-N of one round, then the next round). */
  next(count: number): string[] {
    const records = new Array<string>(count);
    for (let k = 0; k < count; k++) {
      const i = this.index % this.series;
      const round = Math.floor(this.index / this.series);
      const level = this.levels[i] as number;
      // A random walk pulled gently back to its level, so values stay plausible over long runs.
      const previous = this.values[i] as number;
      const value = previous + this.random.normal(0, this.steps[i]) + 0.001 * (level - previous);
      this.values[i] = value;
      const event = { series: `series-${i}`, timestamp: this.start + round * ROUND_MS, value: round4(value) };
      records[k] = Buffer.from(JSON.stringify(event)).toString('base64');
      this.index += 1;
    }
    this.produced += count;
    return records;
  }
}

function round4(x: number): number {
  return Math.round(x * 1e4) / 1e4;
}

/** Keeps decoded values alive so the decode path cannot be optimised away. */
let blackhole = 0;

function decode(record: string): unknown {
  return JSON.parse(Buffer.from(record, 'base64').toString('utf8'));
}

/** The floor: base64 decode and JSON.parse of every record, nothing else. */
export function decodePath(): BenchPath {
  return {
    key: 'decode',
    label: 'decode floor (base64 + JSON.parse)',
    run(records) {
      for (const record of records) blackhole += (decode(record) as { value: number }).value;
    },
  };
}

/** Bare onnxruntime: one `OnnxScorer.score` call on as many prepared feature rows as records. */
export function barePath(scorer: OnnxScorer, maxRows: number): BenchPath {
  const random = new Random(7);
  const features = new Float32Array(maxRows * FEATURE_COUNT);
  // Feature rows look like the detector's: mostly small z-scores, a few large ones.
  for (let i = 0; i < features.length; i++) features[i] = random.normal(0, random.next() < 0.02 ? 6 : 1);
  return {
    key: 'bare',
    label: 'bare onnxruntime scoring',
    run: (records) => scorer.score(features, records.length),
  };
}

/** The full core path: decode, validate with parseEvent, then Detector.detect with warm per-series state. */
export function fullPath(detector: Detector, states: Map<string, SeriesDetectorState>): BenchPath {
  return {
    key: 'full',
    label: 'full core path (decode → parseEvent → detect)',
    async run(records) {
      const events: MeasurementEvent[] = [];
      for (const record of records) {
        const parsed = parseEvent(decode(record));
        if (!parsed.ok) throw parsed.error;
        events.push(parsed.event);
      }
      const result = await detector.detect(events, states);
      blackhole += result.points.length;
    },
  };
}

/** Sequence numbers grow across batches, as on a shard: the handler skips what it has already applied. */
let nextSequence = 49_000_000_000n;

/** Wraps base64 payloads as the Kinesis event Lambda hands the detector. */
function kinesisEvent(records: readonly string[]): KinesisStreamEvent {
  return {
    Records: records.map((data) => {
      nextSequence += 1n;
      return {
        eventID: `shardId-000000000000:${nextSequence}`,
        eventName: 'aws:kinesis:record',
        eventSource: 'aws:kinesis',
        eventSourceARN: 'arn:aws:kinesis:eu-west-1:123456789012:stream/seismo-bench',
        eventVersion: '1.0',
        awsRegion: 'eu-west-1',
        invokeIdentityArn: 'arn:aws:iam::123456789012:role/bench',
        kinesis: {
          kinesisSchemaVersion: '1.0',
          partitionKey: 'bench',
          sequenceNumber: String(nextSequence),
          data,
          approximateArrivalTimestamp: 0,
        },
      };
    }),
  };
}

/**
 * The handler path: a Kinesis event through the real detect handler (decode, dead-letter triage, warm
 * state cache, detect, store, alerts, checkpoint) with in-memory adapters, on its own detector and state.
 */
export function handlerPath(scorer: OnnxScorer): BenchPath {
  const handler = createDetectHandler({
    detector: new Detector(scorer),
    stateStore: new MemoryStateStore(),
    // Keeps each series' latest point only: like Timestream or InfluxDB, the handler's store sends points
    // away; holding ~100k old points in this process would measure the garbage collector, not the handler.
    timeSeries: new MemoryTimeSeriesStore(1),
    alerts: new MemoryAlertPublisher(),
    deadLetters: { send: async () => {} },
    // A bench whose records were skipped as re-deliveries would measure nothing: fail instead.
    metrics: {
      addDimension: () => {},
      addMetric: (name: string, _unit: unknown, value: number) => {
        if (name === 'RecordsRedelivered' && value > 0)
          throw new Error('the bench handler skipped records as re-delivered');
      },
    } as unknown as Pick<Metrics, 'addMetric' | 'addDimension'>,
  });
  return {
    key: 'handler',
    label: 'handler path (Kinesis event → detect handler)',
    prepare: kinesisEvent,
    async run(records, prepared) {
      const response = await handler((prepared as KinesisStreamEvent | undefined) ?? kinesisEvent(records));
      if (response.batchItemFailures.length > 0) throw new Error('the bench handler reported failures');
    },
  };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/** V8's collector, when the bench runs with `--expose-gc` (as `npm run bench` does). */
const collect = (globalThis as { gc?: (options: { type: 'minor'; execution: 'sync' }) => void }).gc;

/** A young-generation collection now, so its cost lands where it is called. */
function minorGc(): void {
  collect?.({ type: 'minor', execution: 'sync' });
}

/**
 * Runs every path on the same fresh records, rep after rep (interleaved, so drift hits all paths alike),
 * until at least MIN_REPS reps and `seconds` of measuring; returns each path's median.
 *
 * Each path pays for its own garbage: the inputs (records, the prepared event) are promoted to the old
 * generation before the clock starts (two untimed young collections), and a young collection ends each timed
 * run. Without this, a collection lands on whichever path happens to fill the young generation, and the
 * medians moved with that: the same code measured handler / full anywhere from 0.47 to 0.86 between runs.
 */
async function measure(
  paths: readonly BenchPath[],
  stream: RecordStream,
  batch: number,
  seconds: number,
): Promise<{ figures: Record<string, PathFigures>; reps: number }> {
  for (let rep = 0; rep < WARMUP_REPS; rep++) {
    const records = stream.next(batch);
    for (const path of paths) await path.run(records, path.prepare?.(records));
  }
  const times = new Map<string, number[]>(paths.map((p) => [p.key, []]));
  const started = performance.now();
  let reps = 0;
  while (reps < MAX_REPS && (reps < MIN_REPS || performance.now() - started < seconds * 1000)) {
    const records = stream.next(batch);
    for (const path of paths) {
      const input: { prepared: unknown } = { prepared: path.prepare?.(records) };
      minorGc();
      minorGc();
      const t0 = performance.now();
      await path.run(records, input.prepared);
      // The prepared event is garbage once the run is over, as it is after a Lambda invocation.
      input.prepared = undefined;
      minorGc();
      times.get(path.key)?.push(performance.now() - t0);
    }
    reps += 1;
  }
  const figures: Record<string, PathFigures> = {};
  for (const path of paths) {
    const ms = median(times.get(path.key) ?? []);
    figures[path.key] = { rps: (batch * 1000) / ms, usPerRecord: (ms * 1000) / batch };
  }
  return { figures, reps };
}

function figure(figures: Record<string, PathFigures>, key: string): PathFigures {
  const f = figures[key];
  if (!f) throw new Error(`no figures for path "${key}"`);
  return f;
}

function fmt(n: number, digits = 0): string {
  return n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { json: { type: 'boolean' }, seconds: { type: 'string', default: '2' } },
    strict: true,
  });
  const seconds = Number(values.seconds);
  if (!(seconds > 0)) throw new Error(`--seconds must be a positive number, got "${values.seconds}"`);

  const loadStarted = performance.now();
  const { card, scorer } = await loadModel();
  const modelLoadMs = performance.now() - loadStarted;

  const detector = new Detector(scorer);
  const states = new Map<string, SeriesDetectorState>();
  const stream = new RecordStream();
  const paths = [
    decodePath(),
    barePath(scorer, Math.max(...BATCH_SIZES)),
    fullPath(detector, states),
    handlerPath(scorer),
  ];
  const full = paths[2] as BenchPath;
  const handler = paths[3] as BenchPath;

  const cpu = cpus()[0]?.model ?? 'unknown CPU';
  console.log(`Seismo performance: ${SERIES} series, one event per series per ${ROUND_MS / 1000} s round`);
  console.log(
    `Node ${process.version} on ${cpu}; one core: onnxruntime intra-op threads = 1, JS on one thread`,
  );
  // Other work on the machine shows up as noise in the medians; say how busy it was.
  console.log(`${cpus().length} CPUs, load average ${fmt(loadavg()[0] ?? 0, 2)} at start`);
  console.log(
    collect
      ? 'each timed run ends with a young-generation collection: every path pays for its own garbage'
      : 'no --expose-gc: collections land on whichever path fills the young generation (run it with npm run bench)',
  );
  console.log(`model ${card.name}@${card.version} (${card.algorithm}) loaded in ${fmt(modelLoadMs, 1)} ms`);
  const warmStarted = performance.now();
  for (let round = 0; round < WARMUP_ROUNDS; round++) {
    const records = stream.next(SERIES);
    await full.run(records);
    await handler.run(records, handler.prepare?.(records));
  }
  console.log(
    `warm-up: ${fmt(WARMUP_ROUNDS * SERIES)} records through the full path in ${fmt((performance.now() - warmStarted) / 1000, 1)} s; ` +
      `then median of ≥ ${MIN_REPS} reps and ≥ ${seconds} s per batch size`,
  );
  console.log('');

  const report: Record<string, unknown> = {};
  const header = `${'batch'.padStart(6)}  ${'path'.padEnd(46)} ${'records/s'.padStart(12)} ${'µs/record'.padStart(10)}`;
  console.log(header);
  console.log('-'.repeat(header.length));
  let bar: { ratio: number; fullRps: number; handlerOverFull: number } | undefined;
  for (const batch of BATCH_SIZES) {
    const { figures, reps } = await measure(paths, stream, batch, seconds);
    const decode = figure(figures, 'decode');
    const bare = figure(figures, 'bare');
    const fullFig = figure(figures, 'full');
    const floorOverFull = (decode.usPerRecord + bare.usPerRecord) / fullFig.usPerRecord;
    const handlerOverFull = figure(figures, 'handler').rps / fullFig.rps;
    paths.forEach((path, i) => {
      const f = figure(figures, path.key);
      const label = i === 0 ? `${batch}`.padStart(6) : ''.padStart(6);
      console.log(
        `${label}  ${path.label.padEnd(46)} ${fmt(f.rps).padStart(12)} ${fmt(f.usPerRecord, 2).padStart(10)}`,
      );
    });
    console.log(
      `${''.padStart(6)}  ${`floor / full  (floor = decode + bare; ${reps} reps)`.padEnd(46)} ${fmt(floorOverFull, 2).padStart(12)}`,
    );
    const entry: Record<string, number> = { reps };
    for (const path of paths) {
      const f = figure(figures, path.key);
      entry[`${path.key}Rps`] = Math.round(f.rps);
      entry[`${path.key}UsPerRecord`] = Number(f.usPerRecord.toFixed(3));
    }
    console.log(
      `${''.padStart(6)}  ${'handler / full (records/s)'.padEnd(46)} ${fmt(handlerOverFull, 2).padStart(12)}`,
    );
    entry.floorOverFull = Number(floorOverFull.toFixed(3));
    entry.handlerOverFull = Number(handlerOverFull.toFixed(3));
    report[`batch${batch}`] = entry;
    if (batch === BAR_BATCH) bar = { ratio: floorOverFull, fullRps: fullFig.rps, handlerOverFull };
  }

  const peakRssMb = process.resourceUsage().maxRSS / 1024;
  console.log('');
  if (bar) {
    const ratioPass = bar.ratio >= BAR_FLOOR_RATIO;
    const rpsPass = bar.fullRps >= BAR_FULL_RPS;
    console.log(
      `bar at batch ${BAR_BATCH}: floor / full ≥ ${BAR_FLOOR_RATIO}: ${fmt(bar.ratio, 2)}  ${ratioPass ? 'PASS' : 'FAIL'}`,
    );
    console.log(
      `bar at batch ${BAR_BATCH}: full ≥ ${fmt(BAR_FULL_RPS)} records/s: ${fmt(bar.fullRps)}  ${rpsPass ? 'PASS' : 'FAIL'}`,
    );
    const handlerPass = bar.handlerOverFull >= BAR_HANDLER_RATIO;
    console.log(
      `bar at batch ${BAR_BATCH}: handler / full ≥ ${BAR_HANDLER_RATIO}: ${fmt(bar.handlerOverFull, 2)}  ${handlerPass ? 'PASS' : 'FAIL'}`,
    );
    report.bars = { floorOverFull: ratioPass, fullRps: rpsPass, handlerOverFull: handlerPass };
  }
  console.log(
    `model load ${fmt(modelLoadMs, 1)} ms; peak RSS ${fmt(peakRssMb, 1)} MB; ${fmt(stream.produced)} records in all`,
  );
  report.modelLoadMs = Number(modelLoadMs.toFixed(1));
  report.peakRssMb = Number(peakRssMb.toFixed(1));
  report.records = stream.produced;
  report.node = process.version;
  report.model = `${card.name}@${card.version}`;
  if (blackhole === Number.MIN_VALUE) console.log('');
  if (values.json) console.log(JSON.stringify(report));
}

// Run only as a script, so the paths and the record stream can be imported by other harnesses.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
