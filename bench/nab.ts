/**
 * `npm run bench:nab`: streams the 58 NAB files through the Seismo detector, writes NAB-format result
 * CSVs, sweeps the corpus threshold per profile and prints the scores beside the published scoreboard.
 *
 * Options: `--nab DIR` (corpus; default NAB_DIR, else the copy shipped in third_party/nab), `--model DIR`
 * (default: the shipped model), `--out DIR` (default .bench-out/nab),
 * `--json` (last stdout line is `{"standard": x, "reward_low_FP_rate": y, "reward_low_FN_rate": z}`).
 */
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { loadNabCorpus, PROFILE_NAMES, type ProfileName } from './nab/corpus.ts';
import { runNab } from './nab/run.ts';
import { scoreFile, sumBreakdowns } from './nab/scorer.ts';

/** One line of the published NAB scoreboard (normalised scores). */
interface BoardEntry {
  readonly name: string;
  readonly scores: readonly [number, number, number];
  readonly ours?: boolean;
}

/** Published scoreboard of the numenta/NAB README (standard / low FP / low FN), from SCORING.md. */
const SCOREBOARD: readonly BoardEntry[] = [
  { name: 'Perfect', scores: [100, 100, 100] },
  { name: 'ARTime', scores: [74.9, 65.1, 80.4] },
  { name: 'Numenta HTM', scores: [70.5, 62.6, 75.2] },
  { name: 'CAD OSE', scores: [69.9, 67.0, 73.2] },
  { name: 'earthgecko Skyline', scores: [58.2, 46.2, 63.9] },
  { name: 'KNN CAD', scores: [58.0, 43.4, 64.8] },
  { name: 'Relative Entropy', scores: [54.6, 47.6, 58.8] },
  { name: 'Random Cut Forest (AWS)', scores: [51.7, 38.4, 59.7] },
  { name: 'Twitter ADVec', scores: [47.1, 33.6, 53.5] },
  { name: 'Windowed Gaussian', scores: [39.6, 20.9, 47.4] },
  { name: 'Etsy Skyline', scores: [35.7, 27.1, 44.5] },
  { name: 'Bayesian Changepoint', scores: [17.7, 3.2, 32.2] },
  { name: 'Random', scores: [11.0, 1.2, 19.5] },
  { name: 'Null', scores: [0, 0, 0] },
];

const PROFILE_LABEL: Record<ProfileName, string> = {
  standard: 'standard',
  reward_low_FP_rate: 'low FP',
  reward_low_FN_rate: 'low FN',
};

function fmtThreshold(t: number): string {
  return Number.isFinite(t) ? String(t) : 'none';
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      nab: { type: 'string' },
      model: { type: 'string' },
      out: { type: 'string', default: '.bench-out/nab' },
      json: { type: 'boolean', default: false },
    },
    strict: true,
  });
  const started = performance.now();
  const corpus = await loadNabCorpus(values.nab);
  const outDir = values.out ?? '.bench-out/nab';
  const totalRows = corpus.files.reduce((n, f) => n + f.rows.length, 0);
  process.stderr.write(`NAB corpus ${corpus.dir}: ${corpus.files.length} files, ${totalRows} rows\n`);

  const { scored, prepared, results, detectMs } = await runNab({
    corpus,
    model: values.model,
    out: outDir,
    onFile: (n, file, ms) => {
      const rate = Math.round(file.rows.length / Math.max(ms / 1000, 1e-6));
      process.stderr.write(
        `[${String(n + 1).padStart(2)}/${corpus.files.length}] ${file.key} ${file.rows.length} rows ${rate} rows/s\n`,
      );
    },
  });

  const ours: BoardEntry = {
    name: 'Seismo (this run)',
    scores: [
      results.standard.normalised,
      results.reward_low_FP_rate.normalised,
      results.reward_low_FN_rate.normalised,
    ],
    ours: true,
  };
  const board = [...SCOREBOARD];
  const at = board.findIndex((e) => e.scores[0] < ours.scores[0]);
  board.splice(at < 0 ? board.length : at, 0, ours);

  const out: string[] = [];
  out.push('');
  out.push(
    `NAB v1.1: ${corpus.files.length} files, ${totalRows} rows, ${prepared.windowCount} windows; results in ${outDir}/seismo`,
  );
  out.push('');
  out.push(
    `${'rank'.padEnd(5)}${'detector'.padEnd(26)}${'standard'.padStart(9)}${'low FP'.padStart(9)}${'low FN'.padStart(9)}`,
  );
  board.forEach((e, i) => {
    const cells = e.scores.map((s) => s.toFixed(1).padStart(9)).join('');
    out.push(`${(e.ours ? '>>' : String(i + 1)).padEnd(5)}${e.name.padEnd(26)}${cells}`);
  });
  out.push('');
  out.push('Seismo by profile (exhaustive threshold sweep):');
  for (const p of PROFILE_NAMES) {
    const r = results[p];
    out.push(
      `  ${PROFILE_LABEL[p].padEnd(9)} score ${r.normalised.toFixed(2).padStart(6)}  raw ${r.raw.toFixed(3).padStart(9)}  threshold ${fmtThreshold(r.threshold)}  (${r.candidates} candidates)`,
    );
  }

  // Per-category raw scores under the standard profile at its chosen threshold.
  const standard = corpus.profiles.standard;
  const tStd = results.standard.threshold;
  out.push('');
  out.push(`Per category, standard profile at threshold ${fmtThreshold(tStd)} (raw scores):`);
  out.push(
    `  ${'category'.padEnd(24)}${'files'.padStart(6)}${'TP'.padStart(5)}${'FN'.padStart(5)}${'FP'.padStart(7)}${'tp'.padStart(9)}${'fn'.padStart(9)}${'fp'.padStart(9)}${'raw'.padStart(9)}`,
  );
  const categories = [...new Set(scored.map((f) => f.category))].sort();
  for (const c of categories) {
    const files = scored.filter((f) => f.category === c);
    const b = sumBreakdowns(files.map((f) => scoreFile(f.layout, f.anomalyScores, standard, tStd)));
    out.push(
      `  ${c.padEnd(24)}${String(files.length).padStart(6)}${String(b.truePositives).padStart(5)}${String(b.falseNegatives).padStart(5)}${String(b.falsePositives).padStart(7)}${b.tpScore.toFixed(2).padStart(9)}${b.fnScore.toFixed(2).padStart(9)}${b.fpScore.toFixed(2).padStart(9)}${b.score.toFixed(2).padStart(9)}`,
    );
  }
  const wallS = (performance.now() - started) / 1000;
  out.push('');
  out.push(
    `Wall time ${wallS.toFixed(1)} s (detector ${(detectMs / 1000).toFixed(1)} s, ${Math.round(totalRows / Math.max(detectMs / 1000, 1e-6))} rows/s)`,
  );
  if (values.json) {
    // Exactly `{"standard": x, "reward_low_FP_rate": y, "reward_low_FN_rate": z}` (valid JSON).
    const fields = PROFILE_NAMES.map((p) => `"${p}": ${Number(results[p].normalised.toFixed(2))}`);
    out.push(`{${fields.join(', ')}}`);
  }
  process.stdout.write(`${out.join('\n')}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`bench:nab failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
});
