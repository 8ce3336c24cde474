import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  csvName,
  loadNabCorpus,
  readCorpusText,
  resolveNabDir,
  SHIPPED_NAB_DIR,
} from '../../bench/nab/corpus.ts';

/** Where CI and the developers' machines keep the reference copy of the corpus, beside the repository. */
const SHARED_NAB_DIR = resolve(import.meta.dirname, '../../../shared/nab');

/** Whether the reference copy is here to compare with; a plain clone has none, and says what it skips. */
function referenceCopyPresent(): boolean {
  if (existsSync(SHARED_NAB_DIR)) return true;
  process.stderr.write(
    `NAB reference-copy check skipped: no ${SHARED_NAB_DIR} (the team's copy beside the repository, as in CI). ` +
      'The shipped third_party/nab is still loaded, counted and scored by the other NAB tests.\n',
  );
  return false;
}

async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile())
    .map((e) => relative(dir, join(e.parentPath, e.name)))
    .sort();
}

describe('the shipped NAB corpus', () => {
  it('is the default corpus and holds the 58 files and 116 windows NAB scores', async () => {
    // Act
    const corpus = await loadNabCorpus();
    // Assess
    expect(corpus.dir).toBe(SHIPPED_NAB_DIR);
    expect(corpus.files).toHaveLength(58);
    expect(corpus.files.reduce((n, f) => n + f.windows.length, 0)).toBe(116);
    expect(corpus.files.map((f) => f.key)).toContain('realKnownCause/nyc_taxi.csv');
    expect(corpus.profiles.standard).toEqual({ tp: 1, fn: 1, fp: 0.11 });
  });

  it('ships its licence and attribution beside the data', async () => {
    // Act
    const licence = await readFile(join(SHIPPED_NAB_DIR, 'LICENSE.txt'), 'utf8');
    const readme = await readFile(join(SHIPPED_NAB_DIR, 'README.md'), 'utf8');
    // Assess
    expect(licence).toContain('Copyright 2014-2024 Numenta Inc.');
    expect(licence).toContain('Permission is hereby granted, free of charge');
    expect(readme).toContain('ea702d75cc2258d9d7dd35ca8e5e2539d71f3140');
  });

  describe.runIf(referenceCopyPresent())('against the reference copy in ../shared/nab', () => {
    it('holds every file of it, each CSV gzipped and otherwise byte for byte the same', async () => {
      // Prepare
      const reference = (await filesUnder(SHARED_NAB_DIR)).filter((f) => f !== 'SOURCE.md');
      const shipped = (await filesUnder(SHIPPED_NAB_DIR)).filter((f) => f !== 'README.md');
      // Act
      const names = shipped.map(csvName);
      // Assess
      expect(names).toEqual(reference);
      for (const file of shipped) {
        const ours = await readCorpusText(join(SHIPPED_NAB_DIR, file));
        const theirs = await readFile(join(SHARED_NAB_DIR, csvName(file)), 'utf8');
        expect(ours, file).toBe(theirs);
      }
    });
  });
});

describe('readCorpusText', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'seismo-nab-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('reads a plain and a gzipped CSV to the same text', async () => {
    // Prepare
    const text = 'timestamp,value\n2014-01-01 00:00:00,1.5\n';
    await writeFile(join(dir, 'a.csv'), text);
    await writeFile(join(dir, 'a.csv.gz'), gzipSync(text));
    // Act
    const plain = await readCorpusText(join(dir, 'a.csv'));
    const gzipped = await readCorpusText(join(dir, 'a.csv.gz'));
    // Assess
    expect(plain).toBe(text);
    expect(gzipped).toBe(text);
  });
});

describe('resolveNabDir', () => {
  it('names the directory, where it came from and what is missing', () => {
    // Act
    const resolveMissing = () => resolveNabDir('/nonexistent/nab');
    // Assess
    expect(resolveMissing).toThrow(/NAB corpus not found at \/nonexistent\/nab \(from --nab\): missing data/);
  });
});
