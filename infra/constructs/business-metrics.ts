import { type CustomMetricGroup, MetricStatistic } from 'cdk-monitoring-constructs';

/** CloudWatch namespace of the detector's EMF metrics (POWERTOOLS_METRICS_NAMESPACE). */
export const DETECT_METRICS_NAMESPACE = 'Seismo';
/** Powertools adds the service as a dimension of every metric (POWERTOOLS_SERVICE_NAME). */
export const DETECT_SERVICE_NAME = 'seismo-detect';
/**
 * The dimensions the detector's metrics carry, and the only ones they may carry: the service, the model
 * version, and two bounded ones (a rejection's kind, an episode's severity). Never the series: a dimension
 * value per series would be a custom metric per series, billed monthly.
 */
export const DETECT_METRIC_DIMENSIONS = ['service', 'ModelVersion', 'Reason', 'Severity'] as const;

/** The detector's metrics (functions/detect/detect-handler.ts), grouped as the business dashboard shows them. */
export const DETECT_METRIC_GROUPS = {
  'Records: in = processed + redelivered + rejected + retried': [
    'RecordsIn',
    'RecordsProcessed',
    'RecordsRedelivered',
    'RecordsRejected',
    'RecordsRetried',
  ],
  'Points scored and refused by the store': ['PointsScored', 'PointsRejected'],
  'Episodes opened and resolved': ['AnomaliesOpened', 'AnomaliesResolved'],
  'Measurements late or duplicate': ['MeasurementsLate', 'MeasurementsDuplicate'],
  'Series healed: quarantined checkpoints, state resets': ['StatesQuarantined', 'SeriesReset'],
  'Models: calibration swaps, shadow against live above the open threshold': [
    'CalibrationSwapped',
    'CalibrationRestarted',
    'ShadowRows',
    'ShadowAboveOpen',
    'LiveAboveOpen',
  ],
} as const;

/** The detector's counts by one bounded dimension (functions/detect/detect-handler.ts `countBy`). */
export const DETECT_METRICS_BY_DIMENSION = {
  RecordsRejectedByReason: 'Reason',
  AnomaliesOpenedBySeverity: 'Severity',
} as const;

/**
 * One graph per group, each metric a CloudWatch SEARCH over the detector's dimensions so that every model
 * version gets its line (a promotion shows as one line ending and another starting), plus batch latency.
 */
export function businessMetricGroups(): CustomMetricGroup[] {
  const search = (metric: string, statistic: MetricStatistic) => ({
    namespace: DETECT_METRICS_NAMESPACE,
    searchQuery: `MetricName="${metric}"`,
    // A key without a value is part of the schema but matches any value: one line per model version.
    dimensionsMap: { service: DETECT_SERVICE_NAME, ModelVersion: undefined as unknown as string },
    statistic,
    label: `${metric} \${PROP('Dim.ModelVersion')}`,
  });
  const groups: CustomMetricGroup[] = Object.entries(DETECT_METRIC_GROUPS).map(([title, metrics]) => ({
    title,
    metrics: metrics.map((metric) => search(metric, MetricStatistic.SUM)),
  }));
  const by = (metric: string, dimension: string) => ({
    namespace: DETECT_METRICS_NAMESPACE,
    searchQuery: `MetricName="${metric}"`,
    dimensionsMap: { service: DETECT_SERVICE_NAME, [dimension]: undefined as unknown as string },
    statistic: MetricStatistic.SUM,
    label: `\${PROP('Dim.${dimension}')}`,
  });
  for (const [metric, dimension] of Object.entries(DETECT_METRICS_BY_DIMENSION)) {
    groups.push({ title: `${metric} (one line per ${dimension})`, metrics: [by(metric, dimension)] });
  }
  groups.push({
    title: 'Batch latency (ms): p50 and p99',
    metrics: [search('BatchLatency', MetricStatistic.P50), search('BatchLatency', MetricStatistic.P99)],
  });
  return groups;
}
