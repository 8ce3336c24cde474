/**
 * A PagerDuty Events API v2 stand-in on 127.0.0.1 (`POST /v2/enqueue`): validates events as PagerDuty does,
 * answers 202 with the dedup key, keeps each alert's state by dedup key (triggered, acknowledged, resolved;
 * a repeated trigger of an open alert is deduplicated, as PagerDuty does) and can be scripted to answer
 * 429, 400 or 5xx.
 */
import { listenLocal, Recording, Script, sendJson } from './http-server.ts';

/** One event as received, with the answer given. */
export interface PagerDutyReceivedEvent {
  /** The parsed body (undefined when it was not JSON). */
  readonly event: Readonly<Record<string, unknown>> | undefined;
  readonly status: number;
  readonly response: Readonly<Record<string, unknown>>;
  readonly at: number;
}

/** An alert's state, by dedup key. */
export interface PagerDutyAlert {
  readonly dedupKey: string;
  readonly routingKey: string;
  status: 'triggered' | 'acknowledged' | 'resolved';
  summary: string;
  severity: string;
  source: string;
  /** Every accepted action for this key, in order, including deduplicated triggers. */
  readonly actions: string[];
}

/** A scripted answer for the next events. */
export interface PagerDutyResponse {
  readonly status: number;
  readonly body?: Readonly<Record<string, unknown>>;
  readonly headers?: Readonly<Record<string, string>>;
}

/** Construction options of {@link startPagerDutyStandIn}. */
export interface PagerDutyStandInOptions {
  /** Routing keys that exist; any 32-character key is accepted when not given. */
  readonly routingKeys?: readonly string[];
}

/** A running PagerDuty stand-in. */
export interface PagerDutyStandIn {
  /** The base URL to give the transport (`baseUrl`). */
  readonly url: string;
  readonly events: readonly PagerDutyReceivedEvent[];
  alert(dedupKey: string): PagerDutyAlert | undefined;
  alerts(): PagerDutyAlert[];
  /** Answers the next events with `responses`, in order, without acting on them. */
  respondWith(...responses: PagerDutyResponse[]): void;
  onEvent(listener: (event: PagerDutyReceivedEvent) => void): () => void;
  stop(): Promise<void>;
}

const ACTIONS = new Set(['trigger', 'acknowledge', 'resolve']);
const SEVERITIES = new Set(['critical', 'error', 'warning', 'info']);
const INVALID = { status: 'invalid event', message: 'Event object is invalid' };

/** Starts the stand-in on a free loopback port. */
export async function startPagerDutyStandIn(
  options: PagerDutyStandInOptions = {},
): Promise<PagerDutyStandIn> {
  const known = options.routingKeys ? new Set(options.routingKeys) : undefined;
  const alerts = new Map<string, PagerDutyAlert>();
  const recording = new Recording<PagerDutyReceivedEvent>();
  const script = new Script<PagerDutyResponse>();
  let generated = 0;

  const accept = (event: Record<string, unknown>): [number, Record<string, unknown>] => {
    const errors = validate(event, known);
    if (errors.length > 0) return [400, { ...INVALID, errors }];
    const action = event.event_action as string;
    const payload = (event.payload ?? {}) as Record<string, unknown>;
    generated += 1;
    const dedupKey = typeof event.dedup_key === 'string' ? event.dedup_key : `local-${generated}`;
    const alert = alerts.get(dedupKey);
    if (action === 'trigger' && (!alert || alert.status === 'resolved')) {
      alerts.set(dedupKey, {
        dedupKey,
        routingKey: event.routing_key as string,
        status: 'triggered',
        summary: String(payload.summary),
        severity: String(payload.severity),
        source: String(payload.source),
        actions: [...(alert?.actions ?? []), action],
      });
    } else if (alert) {
      alert.actions.push(action);
      if (action === 'acknowledge' && alert.status === 'triggered') alert.status = 'acknowledged';
      if (action === 'resolve') alert.status = 'resolved';
    }
    return [202, { status: 'success', message: 'Event processed', dedup_key: dedupKey }];
  };

  const server = await listenLocal((req, body, res) => {
    let status: number;
    let response: Record<string, unknown>;
    let headers: Readonly<Record<string, string>> = {};
    let event: Record<string, unknown> | undefined;
    try {
      event = JSON.parse(body.toString('utf8')) as Record<string, unknown>;
    } catch {
      event = undefined;
    }
    const route = req.method === 'POST' && req.url === '/v2/enqueue';
    const scripted = route ? script.take() : undefined;
    if (!route) {
      [status, response] = [404, { status: 'not found', message: `no route ${req.method} ${req.url}` }];
    } else if (scripted) {
      status = scripted.status;
      response = { ...(scripted.body ?? { status: 'scripted', message: `scripted ${scripted.status}` }) };
      headers = scripted.headers ?? {};
    } else if (!event || typeof event !== 'object') {
      [status, response] = [400, { ...INVALID, errors: ['Event object is not valid JSON'] }];
    } else {
      [status, response] = accept(event);
    }
    sendJson(res, status, response, headers);
    recording.add({ event, status, response, at: Date.now() });
  });

  return {
    url: server.origin,
    get events() {
      return recording.all;
    },
    alert: (dedupKey) => alerts.get(dedupKey),
    alerts: () => [...alerts.values()],
    respondWith: (...responses) => {
      for (const response of responses) script.push(response);
    },
    onEvent: (listener) => recording.listen(listener),
    stop: () => server.close(),
  };
}

/** PagerDuty's checks on an event, with messages in its style. */
function validate(event: Record<string, unknown>, known: ReadonlySet<string> | undefined): string[] {
  const errors: string[] = [];
  const routingKey = event.routing_key;
  if (typeof routingKey !== 'string' || routingKey.length !== 32 || (known && !known.has(routingKey))) {
    errors.push("'routing_key' is invalid");
  }
  if (typeof event.event_action !== 'string' || !ACTIONS.has(event.event_action)) {
    errors.push("'event_action' must be one of trigger, acknowledge, resolve");
  }
  const dedupKey = event.dedup_key;
  if (dedupKey !== undefined && (typeof dedupKey !== 'string' || dedupKey.length > 255)) {
    errors.push("'dedup_key' must be a string of at most 255 characters");
  }
  if (event.event_action !== 'trigger') {
    if (typeof dedupKey !== 'string') errors.push("'dedup_key' is required for acknowledge and resolve");
    return errors;
  }
  const payload = event.payload as Record<string, unknown> | undefined;
  if (typeof payload !== 'object' || payload === null) return [...errors, "'payload' is missing"];
  if (typeof payload.summary !== 'string' || payload.summary.trim() === '') {
    errors.push("'payload.summary' is missing or blank");
  } else if (payload.summary.length > 1024) {
    errors.push("'payload.summary' must be at most 1024 characters");
  }
  if (typeof payload.source !== 'string' || payload.source.trim() === '') {
    errors.push("'payload.source' is missing or blank");
  }
  if (typeof payload.severity !== 'string' || !SEVERITIES.has(payload.severity)) {
    errors.push("'payload.severity' must be one of critical, error, warning, info");
  }
  if (payload.timestamp !== undefined && Number.isNaN(Date.parse(String(payload.timestamp)))) {
    errors.push("'payload.timestamp' must be an ISO 8601 timestamp");
  }
  return errors;
}
