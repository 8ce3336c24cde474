import {
  type CloudWatchClient,
  GetMetricDataCommand,
  type MetricDataQuery,
} from '@aws-sdk/client-cloudwatch';
import type { WatchFigures, WatchSource } from '../core/learning/watch.ts';

/** Where the detector's metrics are: its Powertools namespace and service, and its function name. */
export interface DetectorMetrics {
  readonly namespace: string;
  readonly service: string;
  readonly functionName: string;
}

/** The dimensions of the detector's per-batch counts (functions/detect/detect-handler.ts). */
export const DETECTOR_DIMENSIONS = ['service', 'ModelVersion'] as const;

/**
 * The watch's figures from CloudWatch: the detector's `PointsScored` and `AnomaliesOpened` (EMF, summed over
 * every model version of the service) and Lambda's `Invocations` and `Errors` of the detect function,
 * summed over the period.
 */
export class CloudWatchWatchSource implements WatchSource {
  constructor(
    private readonly client: CloudWatchClient,
    private readonly metrics: DetectorMetrics,
  ) {}

  async figures(from: number, to: number): Promise<WatchFigures> {
    const period = Math.max(60, Math.ceil((to - from) / 1000 / 60) * 60);
    // The detector's counts carry a ModelVersion dimension beside the service (EMF: one metric per model
    // version), and a query naming the service alone matches none of them: sum every version's series.
    const seismo = (id: string, name: string): MetricDataQuery => ({
      Id: id,
      Expression: `SUM(SEARCH('{${this.metrics.namespace},${DETECTOR_DIMENSIONS.join(',')}} MetricName="${name}" service="${this.metrics.service}"', 'Sum', ${period}))`,
    });
    const lambda = (id: string, name: string): MetricDataQuery => ({
      Id: id,
      MetricStat: {
        Metric: {
          Namespace: 'AWS/Lambda',
          MetricName: name,
          Dimensions: [{ Name: 'FunctionName', Value: this.metrics.functionName }],
        },
        Period: period,
        Stat: 'Sum',
      },
    });
    const sums = new Map<string, number>();
    let token: string | undefined;
    do {
      const out = await this.client.send(
        new GetMetricDataCommand({
          StartTime: new Date(from),
          EndTime: new Date(Math.max(to, from + 60_000)),
          MetricDataQueries: [
            seismo('points', 'PointsScored'),
            seismo('episodes', 'AnomaliesOpened'),
            lambda('invocations', 'Invocations'),
            lambda('errors', 'Errors'),
          ],
          NextToken: token,
        }),
      );
      for (const r of out.MetricDataResults ?? []) {
        const total = (r.Values ?? []).reduce((a, b) => a + b, 0);
        sums.set(r.Id ?? '', (sums.get(r.Id ?? '') ?? 0) + total);
      }
      token = out.NextToken;
    } while (token);
    return {
      points: sums.get('points') ?? 0,
      episodes: sums.get('episodes') ?? 0,
      invocations: sums.get('invocations') ?? 0,
      errors: sums.get('errors') ?? 0,
    };
  }
}
