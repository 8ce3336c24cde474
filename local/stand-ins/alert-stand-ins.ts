/**
 * The four alert-channel stand-ins started and stopped together, for the local stack (`npm start`) and the
 * integration tests: a Slack Web API, a webhook receiver, SES v2 (emulator) and the PagerDuty Events API, all
 * on loopback ports. They print nothing; each one's `on*` listener tells a printer what arrived.
 */
import {
  type PagerDutyStandIn,
  type PagerDutyStandInOptions,
  startPagerDutyStandIn,
} from './pagerduty-stand-in.ts';
import { type SesStandIn, startSesStandIn } from './ses-stand-in.ts';
import {
  type SlackApiStandIn,
  type SlackApiStandInOptions,
  startSlackApiStandIn,
} from './slack-api-stand-in.ts';
import {
  startWebhookReceiver,
  type WebhookReceiver,
  type WebhookReceiverOptions,
} from './webhook-receiver.ts';

/** Options of each stand-in. */
export interface AlertStandInsOptions {
  readonly slack?: SlackApiStandInOptions;
  readonly webhook?: WebhookReceiverOptions;
  readonly pagerduty?: PagerDutyStandInOptions;
}

/** All four stand-ins. */
export interface AlertStandIns {
  readonly slack: SlackApiStandIn;
  readonly webhook: WebhookReceiver;
  readonly email: SesStandIn;
  readonly pagerduty: PagerDutyStandIn;
  /** Stops all four. */
  stop(): Promise<void>;
}

/** Starts the four stand-ins; if one fails to start, stops those already running and rethrows. */
export async function startAlertStandIns(options: AlertStandInsOptions = {}): Promise<AlertStandIns> {
  const started = await Promise.allSettled([
    startSlackApiStandIn(options.slack),
    startWebhookReceiver(options.webhook),
    startSesStandIn(),
    startPagerDutyStandIn(options.pagerduty),
  ] as const);
  const [slack, webhook, email, pagerduty] = started;
  if (
    slack.status === 'fulfilled' &&
    webhook.status === 'fulfilled' &&
    email.status === 'fulfilled' &&
    pagerduty.status === 'fulfilled'
  ) {
    const all = [slack.value, webhook.value, email.value, pagerduty.value];
    return {
      slack: slack.value,
      webhook: webhook.value,
      email: email.value,
      pagerduty: pagerduty.value,
      stop: async () => {
        await Promise.all(all.map((standIn) => standIn.stop()));
      },
    };
  }
  await Promise.all(
    started.map((result) => (result.status === 'fulfilled' ? result.value.stop() : undefined)),
  );
  const failure = started.find((result) => result.status === 'rejected');
  throw failure?.reason ?? new Error('an alert stand-in failed to start');
}
