/**
 * The one rule for the InfluxDB URL the detector writes to, applied where it is deployed (CDK config,
 * `influx.url`) and where it runs (the detect function's `INFLUX_URL`): https only. Over plain http the API
 * token (an `Authorization` header on every write) and every scored point cross the network in clear text;
 * http is for local development against an InfluxDB on the same machine, and only when that is said
 * explicitly.
 */

/** Set to `1` to let the detect function write to an `http://` InfluxDB URL (local development only). */
export const ALLOW_INSECURE_INFLUX_ENV = 'SEISMO_ALLOW_INSECURE_INFLUX';

/** How the caller names the URL and the explicit local-development setting, for the message. */
export interface InfluxUrlNames {
  /** The URL's variable or key, e.g. `INFLUX_URL` or `influx.url`. */
  readonly url: string;
  /** The setting that allows http, as the person would write it, e.g. `SEISMO_ALLOW_INSECURE_INFLUX=1`. */
  readonly allow: string;
}

/**
 * What is wrong with `url` under the rule (not an http(s) URL; http without `allowInsecure`), naming the
 * variable and the rule; undefined when it is acceptable.
 */
export function influxUrlProblem(
  url: string,
  allowInsecure: boolean,
  names: InfluxUrlNames,
): string | undefined {
  let protocol: string;
  try {
    protocol = new URL(url).protocol;
  } catch {
    return `${names.url} must be an https:// URL (got ${JSON.stringify(url)})`;
  }
  if (protocol === 'https:') return undefined;
  if (protocol !== 'http:') return `${names.url} must be an https:// URL (got ${JSON.stringify(url)})`;
  if (allowInsecure) return undefined;
  return (
    `${names.url} must be an https:// URL (got ${JSON.stringify(url)}): over http:// the InfluxDB token and ` +
    `every point cross the network in clear text. Only for local development, set ${names.allow}`
  );
}
