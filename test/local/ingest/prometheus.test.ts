import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoDbSeriesRegistry } from '../../../adapters/ingest/dynamodb-series-registry.ts';
import type { LocalStack } from '../../../local/stack.ts';
import { startIngestStack } from '../../support/ingest-stack.ts';
import {
  type PrometheusTestServer,
  prometheusTestsEnabled,
  startPrometheus,
} from '../../support/prometheus.ts';
import { waitUntil } from '../../support/wait-until.ts';

/**
 * Distinct series the tenant may create: fewer than Prometheus scraping itself sends (about 270 that can be
 * scored, plus histogram buckets and NaN-only summaries that never reach the cap).
 */
const CAP = 150;

describe.runIf(prometheusTestsEnabled())(
  'Prometheus remote write from Debian prometheus to the local route',
  () => {
    let stack: LocalStack;
    let stop: () => Promise<void>;
    let prometheus: PrometheusTestServer;

    beforeAll(async () => {
      ({ stack, stop } = await startIngestStack('prometheus', { seriesCap: CAP }));
      prometheus = await startPrometheus(`${stack.httpUrl}/api/v1/write`, stack.ingest.apiKey);
    });
    afterAll(async () => {
      await prometheus?.stop();
      await stop?.();
    });

    it('ends as scored points; beyond the series cap new series are refused while known ones keep flowing', async () => {
      // Act: Prometheus scrapes itself every second and remote-writes what it scraped.
      await waitUntil(
        `${CAP - 10} series scored`,
        () => stack.scores.series().length >= CAP - 10,
        45_000,
      ).catch((error) => {
        throw new Error(`${(error as Error).message}; prometheus log: ${prometheus.log()}`);
      });
      const early = stack.scores.series()[0] as string;
      const before = stack.scores.query(early).length;
      await waitUntil(
        `more points of ${early}`,
        () => stack.scores.query(early).length >= before + 3,
        30_000,
      );

      // Assess: the tenant holds exactly its cap of series, Prometheus was told why the others were refused.
      const registry = new DynamoDbSeriesRegistry(stack.dynamodb, {
        tableName: stack.ingest.seriesTable,
        defaultCap: CAP,
      });
      expect(await registry.count('local')).toBe(CAP);
      expect(stack.scores.series().length).toBeLessThanOrEqual(CAP);
      expect(prometheus.log()).toMatch(/\d+ series-limit/);
      const counters = stack.scores.series().filter((s) => /_total\{/.test(s));
      expect(counters.length).toBeGreaterThan(0);
      expect(stack.scores.series().some((s) => s.includes('_bucket'))).toBe(false);
    });
  },
);
