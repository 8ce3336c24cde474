import { PagerDutyTransport } from '../../adapters/alerting/pagerduty-transport.ts';
import { senderLambda } from '../send/production.ts';
import { pagerDutyDelivery } from './pagerduty-delivery.ts';

/** The PagerDuty sender: Events API v2, routing keys from the secrets the routing config names. */
export const handler = senderLambda('pagerduty', ({ secrets }) =>
  pagerDutyDelivery(new PagerDutyTransport(), secrets),
);
