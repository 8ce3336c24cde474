import { parseDuration } from '../core/alerting/durations.ts';
import { slackSignature } from '../core/alerting/slack-signature.ts';
import type { AckHandler } from '../functions/ack/ack-handler.ts';
import { SLACK_ACTIONS_PATH } from '../functions/ack/ack-handler.ts';
import type { LocalPageRoutes } from './ack-server.ts';
import { renderAlertPage } from './alert-page.ts';
import type { PrintedDelivery } from './alert-printer.ts';
import type { LocalClock, LocalScheduler } from './local-scheduler.ts';
import type { AlertStandIns } from './stand-ins/alert-stand-ins.ts';

/** What the alert page's routes work with. */
export interface PageRouteDeps {
  readonly standIns: AlertStandIns;
  readonly scheduler: LocalScheduler;
  readonly clock: LocalClock;
  readonly deliveries: () => readonly PrintedDelivery[];
  readonly signingSecret: string;
  readonly ack: AckHandler;
  /** Prints a line on the terminal (what the clock did). */
  readonly say?: (line: string) => void;
}

/**
 * The local alert page's routes: the page itself, a Slack button press (a `block_actions` payload, signed
 * with the local signing secret as Slack signs it, handed to the same ack handler as a Function URL event),
 * and moving the clock forward so due timers fire now.
 */
export function localPageRoutes(deps: PageRouteDeps): LocalPageRoutes {
  return {
    page: async (said, formToken) =>
      renderAlertPage({
        messages: deps.standIns.slack.messages(),
        timers: deps.scheduler.pending(),
        now: deps.clock.now(),
        clockOffsetMs: deps.clock.offsetMs,
        deliveries: deps.deliveries(),
        said,
        formToken,
        emailViewerUrl: deps.standIns.email.viewerUrl,
      }),
    press: async (form) => {
      const payload = {
        type: 'block_actions',
        user: { id: 'U0LOCALUSER', username: form.get('user') || 'you (local page)' },
        actions: [{ action_id: form.get('action_id') ?? '', value: form.get('value') ?? '' }],
        channel: { id: form.get('channel') ?? '' },
      };
      const body = new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
      // Signed on the local clock: the ack handler checks the timestamp against it, and after the page moved
      // time forward more than five minutes a wall-clock timestamp would read as a replayed request.
      const now = deps.clock.now();
      const timestamp = String(Math.floor(now / 1_000));
      const result = await deps.ack({
        version: '2.0',
        routeKey: '$default',
        rawPath: SLACK_ACTIONS_PATH,
        rawQueryString: '',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          'x-slack-request-timestamp': timestamp,
          'x-slack-signature': slackSignature(deps.signingSecret, timestamp, body),
        },
        requestContext: {
          accountId: 'anonymous',
          apiId: 'local',
          domainName: '127.0.0.1',
          domainPrefix: 'local',
          http: {
            method: 'POST',
            path: SLACK_ACTIONS_PATH,
            protocol: 'HTTP/1.1',
            sourceIp: '127.0.0.1',
            userAgent: 'Slackbot (local page)',
          },
          requestId: crypto.randomUUID(),
          routeKey: '$default',
          stage: '$default',
          time: new Date(now).toISOString(),
          timeEpoch: now,
        },
        body,
        isBase64Encoded: false,
      });
      const answer = JSON.parse(result.body ?? '{}') as { text?: string; error?: string };
      return answer.text ?? answer.error ?? `answered ${result.statusCode}`;
    },
    advance: async (form) => {
      const by = form.get('by') ?? '';
      const ms = parseDuration(by);
      if (ms === undefined) return `"${by}" is not a duration such as 15m or 1h`;
      const before = deps.scheduler.fired.length;
      await deps.scheduler.advance(ms);
      const fired = deps.scheduler.fired.slice(before);
      const said = `moved the clock forward ${by}: ${fired.length} timer(s) fired${fired.length > 0 ? ` (${fired.map((f) => f.timer.type).join(', ')})` : ''}`;
      deps.say?.(`⏩ ${said}`);
      return said;
    },
  };
}
