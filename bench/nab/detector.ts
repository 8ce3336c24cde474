import { Detector, type SeriesDetectorState } from '../../core/detector.ts';
import { type MeasurementEvent, SINGLE_CHANNEL } from '../../core/events/event-schema.ts';
import type { OnnxScorer } from '../../core/scoring/onnx-scorer.ts';
import { loadModel } from '../../models/model-store.ts';

/**
 * The NAB entry to the detector: each file is one series, streamed through the exact core path the
 * Lambda runs (features → ONNX model → calibration → episodes) in Lambda-sized batches, with the default
 * configuration for every file. Seismo alerts on episodes, not points, so the reported anomaly_score is
 * the calibrated probability on the row where an episode opens and 0 elsewhere: what an operator would
 * have been paged for, and when.
 */

/** Batch size of the stream, as a Kinesis batch would deliver it. */
const BATCH = 1000;
const NAB_TIMESTAMP = /^(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2})$/;

/** One session per model directory, shared by the files of a run. */
const models = new Map<string | undefined, Promise<OnnxScorer>>();

function sharedScorer(modelDir?: string): Promise<OnnxScorer> {
  let model = models.get(modelDir);
  if (!model) {
    model = loadModel(modelDir).then((m) => m.scorer);
    models.set(modelDir, model);
  }
  return model;
}

function toEpochMs(timestamp: string): number {
  const match = NAB_TIMESTAMP.exec(timestamp);
  const ms = match ? Date.parse(`${match[1]}T${match[2]}Z`) : Date.parse(timestamp);
  if (Number.isNaN(ms)) throw new Error(`NAB timestamp "${timestamp}" is not YYYY-MM-DD HH:MM:SS`);
  return ms;
}

/** Returns a function that scores all rows of one file, in order, streaming. */
export function createNabDetector(
  modelDir?: string,
): (rows: { timestamp: string; value: number }[]) => Promise<Float64Array> {
  return async (rows) => {
    const detector = new Detector(await sharedScorer(modelDir));
    const states = new Map<string, SeriesDetectorState>();
    const scores = new Float64Array(rows.length);
    let lastScore = 0;
    let wasAnomalous = false;
    for (let start = 0; start < rows.length; start += BATCH) {
      const slice = rows.slice(start, start + BATCH);
      const events: MeasurementEvent[] = slice.map((row) => ({
        series: 'nab',
        timestamp: toEpochMs(row.timestamp),
        values: { [SINGLE_CHANNEL]: row.value },
        dimensions: {},
      }));
      const result = await detector.detect(events, states);
      // A repeated timestamp is a re-delivery to the detector and gets no new score: it keeps the last one.
      let next = 0;
      for (let i = 0; i < slice.length; i++) {
        const point = result.points[next];
        if (point && point.timestamp === events[i]?.timestamp) {
          lastScore = point.anomalous && !wasAnomalous ? point.probability : 0;
          wasAnomalous = point.anomalous;
          next += 1;
        }
        scores[start + i] = lastScore;
      }
    }
    return scores;
  };
}
