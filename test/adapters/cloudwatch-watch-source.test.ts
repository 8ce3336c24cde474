import { CloudWatchClient, GetMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { CloudWatchWatchSource, DETECTOR_DIMENSIONS } from '../../adapters/cloudwatch-watch-source.ts';

const cloudwatch = mockClient(CloudWatchClient);
afterEach(() => cloudwatch.reset());

describe('CloudWatchWatchSource', () => {
  it("sums the detector's counts over every model version, and Lambda's over the function, page by page", async () => {
    // Prepare
    cloudwatch
      .on(GetMetricDataCommand)
      .resolvesOnce({
        MetricDataResults: [
          { Id: 'points', Values: [100, 50] },
          { Id: 'episodes', Values: [2] },
        ],
        NextToken: 't',
      })
      .resolvesOnce({
        MetricDataResults: [
          { Id: 'points', Values: [25] },
          { Id: 'invocations', Values: [10] },
          { Id: 'errors', Values: [] },
        ],
      });
    const source = new CloudWatchWatchSource(new CloudWatchClient({}), {
      namespace: 'Seismo',
      service: 'seismo-detect',
      functionName: 'detect-fn',
    });

    // Act
    const figures = await source.figures(0, 3_600_000);

    // Assess
    expect(figures).toEqual({ points: 175, episodes: 2, invocations: 10, errors: 0 });
    const queries = cloudwatch.commandCalls(GetMetricDataCommand)[0]?.args[0].input.MetricDataQueries ?? [];
    const points = queries.find((q) => q.Id === 'points');
    // A MetricStat naming the service alone would match no series: the detector adds ModelVersion.
    expect(points?.MetricStat).toBeUndefined();
    expect(points?.Expression).toBe(
      `SUM(SEARCH('{Seismo,${DETECTOR_DIMENSIONS.join(',')}} MetricName="PointsScored" service="seismo-detect"', 'Sum', 3600))`,
    );
    expect(queries.find((q) => q.Id === 'errors')?.MetricStat?.Metric?.Dimensions).toEqual([
      { Name: 'FunctionName', Value: 'detect-fn' },
    ]);
  });
});
