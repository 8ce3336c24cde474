import { performance } from 'node:perf_hooks';
import { type NabCorpus, type NabFile, PROFILE_NAMES, type ProfileName } from './corpus.ts';
import { createNabDetector } from './detector.ts';
import { writeResultCsv } from './results-io.ts';
import {
  fileLayout,
  type PreparedSweep,
  prepareSweep,
  type ScoredFile,
  type SweepResult,
  sweepThreshold,
  windowSpans,
} from './scorer.ts';

/** One model's pass over the NAB corpus: every file scored, and the threshold swept per profile. */
export interface NabRun {
  readonly scored: ScoredFile[];
  readonly prepared: PreparedSweep;
  readonly results: Record<ProfileName, SweepResult>;
  /** Milliseconds spent in the detector (not reading, writing or sweeping). */
  readonly detectMs: number;
}

/**
 * Streams each file of `corpus` through a fresh detector with the model in `model` (default: the shipped
 * one), writes NAB-format result CSVs under `out` when given, and sweeps the threshold per profile.
 */
export async function runNab(options: {
  readonly corpus: NabCorpus;
  readonly model?: string;
  readonly out?: string;
  readonly onFile?: (index: number, file: NabFile, ms: number) => void;
}): Promise<NabRun> {
  const scored: ScoredFile[] = [];
  let detectMs = 0;
  for (const [n, file] of options.corpus.files.entries()) {
    // A fresh detector per file: no state may leak between files.
    const detect = createNabDetector(options.model);
    const rows = file.rows.map((r) => ({ timestamp: r.timestamp, value: r.value }));
    const t0 = performance.now();
    const scores = await detect(rows);
    const ms = performance.now() - t0;
    detectMs += ms;
    if (scores.length !== rows.length) {
      throw new Error(`${file.key}: detector returned ${scores.length} scores for ${rows.length} rows`);
    }
    const bad = scores.findIndex((s) => !(s >= 0 && s <= 1));
    if (bad >= 0) throw new Error(`${file.key}: anomaly score ${scores[bad]} of row ${bad} is not in [0, 1]`);
    if (options.out !== undefined) await writeResultCsv(options.out, file, scores);
    const layout = fileLayout(
      file.rows.length,
      windowSpans(
        file.rows.map((r) => r.timestamp),
        file.windows,
      ),
    );
    scored.push({ key: file.key, category: file.category, layout, anomalyScores: scores });
    options.onFile?.(n, file, ms);
  }
  // One sorted pass shared by the three profile sweeps.
  const prepared = prepareSweep(scored);
  const results = {} as Record<ProfileName, SweepResult>;
  for (const p of PROFILE_NAMES) results[p] = sweepThreshold(prepared, options.corpus.profiles[p]);
  return { scored, prepared, results, detectMs };
}
