import { gunzipSync, gzipSync } from 'node:zlib';
import type { Effect, Notification } from '../../core/alerting/incident-types.ts';
import type { Outbox } from '../../functions/alerting/ports.ts';

/**
 * How alerting items are stored: JSON, gzipped (an incident state grows about 640 bytes per member; gzip
 * keeps a 500-series group near 14 KB of DynamoDB's 400 KB). An outbox stores each notification once and
 * its notify effects by notification id, since one notification goes to every receiver of an incident.
 */

/** JSON, gzipped. */
export function packJson(value: unknown): Uint8Array {
  return gzipSync(Buffer.from(JSON.stringify(value), 'utf8'));
}

/** The inverse of {@link packJson}. */
export function unpackJson<T>(bytes: Uint8Array): T {
  return JSON.parse(gunzipSync(bytes).toString('utf8')) as T;
}

type StoredEffect =
  | Exclude<Effect, { kind: 'notify' }>
  | { readonly kind: 'notify'; readonly receiver: string; readonly n: string };

interface StoredOutbox {
  readonly routeId: string;
  readonly at: number;
  readonly notifications: Readonly<Record<string, Notification>>;
  readonly effects: readonly StoredEffect[];
  readonly inhibit?: Outbox['inhibit'];
}

/** An outbox in its stored form, gzipped. */
export function packOutbox(outbox: Outbox): Uint8Array {
  const notifications: Record<string, Notification> = {};
  const effects = outbox.effects.map((e): StoredEffect => {
    if (e.kind !== 'notify') return e;
    notifications[e.notification.id] = e.notification;
    return { kind: 'notify', receiver: e.receiver, n: e.notification.id };
  });
  const stored: StoredOutbox = {
    routeId: outbox.routeId,
    at: outbox.at,
    notifications,
    effects,
    ...(outbox.inhibit !== undefined && { inhibit: outbox.inhibit }),
  };
  return packJson(stored);
}

/** The inverse of {@link packOutbox}. */
export function unpackOutbox(bytes: Uint8Array): Outbox {
  const stored = unpackJson<StoredOutbox>(bytes);
  const effects = stored.effects.map((e): Effect => {
    if (e.kind !== 'notify') return e;
    const notification = stored.notifications[e.n];
    if (!notification) throw new Error(`stored outbox names notification ${e.n} it does not hold`);
    return { kind: 'notify', receiver: e.receiver, notification };
  });
  return {
    routeId: stored.routeId,
    at: stored.at,
    effects,
    ...(stored.inhibit !== undefined && { inhibit: stored.inhibit }),
  };
}
