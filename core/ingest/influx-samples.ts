import { type LinePoint, type Precision, parseLineProtocol } from './influx-line-protocol.ts';
import type { MappingRules } from './mapping-rules.ts';
import { type DecodedSamples, type MetricSample, type Refusal, skip } from './metric-sample.ts';

/**
 * InfluxDB points to samples: the measurement is the metric, tags are labels, and each field fills the channel
 * of its name, so a line `cpu,host=a user=1.5,system=0.5` becomes one event of series `cpu{host="a"}` with
 * channels `user` and `system`. Integers and unsigned integers are numbers (exact up to 2^53); booleans are
 * 1 and 0 unless the rules ignore them; string fields are not numbers: ignored (counted) or refused, by rule.
 */

/** Samples of one line-protocol body. */
export function influxSamples(
  body: string,
  rules: MappingRules,
  options: { readonly precision: Precision; readonly now: number },
): DecodedSamples {
  const { points, errors } = parseLineProtocol(body, options);
  const refusals: Refusal[] = errors.map((e) => ({
    code: 'unreadable',
    origin: `line ${e.line}`,
    reason: `line ${e.line}: ${e.reason}`,
  }));
  const samples: MetricSample[] = [];
  const skipped = new Map<string, number>();
  for (const point of points) pointSamples(point, rules, samples, refusals, skipped);
  return { samples, refusals, skipped };
}

function pointSamples(
  point: LinePoint,
  rules: MappingRules,
  samples: MetricSample[],
  refusals: Refusal[],
  skipped: Map<string, number>,
): void {
  const origin = `line ${point.line}`;
  for (const [field, fieldValue] of Object.entries(point.fields)) {
    let value: number;
    if (fieldValue.type === 'string') {
      if (rules.stringFields === 'refuse') {
        refusals.push({
          code: 'string-field',
          origin,
          reason: `line ${point.line}: field "${field}" is a string; only numbers and booleans can be scored`,
        });
      } else {
        skip(skipped, 'string field (ignored by rule)');
      }
      continue;
    }
    if (fieldValue.type === 'boolean') {
      if (rules.booleanFields === 'ignore') {
        skip(skipped, 'boolean field (ignored by rule)');
        continue;
      }
      value = fieldValue.value ? 1 : 0;
    } else {
      value = fieldValue.value;
    }
    samples.push({
      name: point.measurement,
      labels: point.tags,
      value,
      timestamp: point.timestamp,
      kind: 'gauge',
      channel: field,
      origin,
    });
  }
}
