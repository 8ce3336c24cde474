import type { APIGatewayProxyStructuredResultV2, LambdaFunctionURLEvent } from 'aws-lambda';
import { InvalidActionTokenError, verifyActionToken } from '../../core/alerting/action-token.ts';
import { findIncident } from '../../core/alerting/incident-actions.ts';
import { renderActionPage } from '../../core/alerting/render/action-page.ts';
import { SlackSignatureError, verifySlackSignature } from '../../core/alerting/slack-signature.ts';
import { ACTION_PATH } from '../alerting/action-links.ts';
import type { SecretSource } from '../alerting/ports.ts';
import type { AlertingRuntime } from '../alerting/runtime.ts';
import { type ActionResult, performAction } from './incident-actions.ts';
import { messagePage, PAGE_HEADERS } from './pages.ts';
import { isSlackResponseUrl, parseSlackPress, UnsupportedInteractionError } from './slack-interaction.ts';

/** Where Slack's interactivity requests arrive (the request URL configured in the Slack app). */
export const SLACK_ACTIONS_PATH = '/slack/actions';

/** What the ack handler needs besides the alerting runtime. */
export interface AckHandlerDeps {
  readonly runtime: AlertingRuntime;
  readonly secrets: SecretSource;
  /** Secret holding Slack's signing secret (two, space-separated, during a rotation). */
  readonly slackSigningSecret: string;
  /** Secret holding the action-link key (the current one first; a previous one after a space still verifies). */
  readonly linkKey: string;
  /** Posts a reply to a Slack response URL (ephemeral to the presser); none in tests that do not need it. */
  readonly respond?: (responseUrl: string, text: string) => Promise<void>;
  /** Time Slack's request may take before answering anyway; 2.5 s of Slack's 3 s by default. */
  readonly slackDeadlineMs?: number;
}

/** A Function URL response, always structured (status, headers, body). */
export type AckResponse = APIGatewayProxyStructuredResultV2;

/** The ack Lambda's shape: a Function URL request in, a response out. */
export type AckHandler = (event: LambdaFunctionURLEvent) => Promise<AckResponse>;

const STILL_WORKING = 'Seismo is still recording this; the message updates when it is done.';

/**
 * The ack handler behind a Lambda Function URL (auth NONE: Slack cannot sign AWS requests; each route checks
 * its own credential instead). `POST /slack/actions`: Slack's signature on the raw body, timestamp within
 * five minutes, then the button's action, answered within Slack's 3 s. `GET /a/{token}`: a confirm page whose
 * button POSTs (mail scanners follow GET links); `POST /a/{token}`: the action, if the token's HMAC verifies
 * and it has not expired.
 */
export function createAckHandler(deps: AckHandlerDeps): AckHandler {
  const { runtime } = deps;
  const keys = async (id: string) => (await deps.secrets.get(id)).split(/\s+/).filter((k) => k !== '');
  return async (event) => {
    const method = event.requestContext.http.method.toUpperCase();
    const path = event.rawPath;
    const raw =
      event.body === undefined
        ? Buffer.alloc(0)
        : Buffer.from(event.body, event.isBase64Encoded ? 'base64' : 'utf8');
    if (path === SLACK_ACTIONS_PATH && method === 'POST') {
      const started = Date.now();
      try {
        verifySlackSignature(
          {
            rawBody: raw,
            timestamp: header(event, 'x-slack-request-timestamp'),
            signature: header(event, 'x-slack-signature'),
          },
          await keys(deps.slackSigningSecret),
          runtime.deps.clock(),
        );
      } catch (error) {
        if (!(error instanceof SlackSignatureError)) throw error;
        runtime.deps.logger?.warn('Slack request refused', { problem: error.problem, reason: error.message });
        return json(401, { error: `invalid Slack request: ${error.message}` });
      }
      let press: ReturnType<typeof parseSlackPress>;
      try {
        press = parseSlackPress(raw.toString('utf8'));
      } catch (error) {
        if (!(error instanceof UnsupportedInteractionError)) throw error;
        return json(200, { text: error.message });
      }
      const { value, user, responseUrl } = press;
      if (!value.stateKey)
        return json(200, { text: "This message is older than Seismo's buttons; use its links." });
      const work = performAction(runtime, {
        action: value.action,
        stateKey: value.stateKey,
        incidentId: value.incidentId,
        actor: { by: user, via: 'slack' },
      }).then(async (result) => {
        if (responseUrl && deps.respond && isSlackResponseUrl(responseUrl)) {
          await deps
            .respond(responseUrl, result.text)
            .catch((error: unknown) =>
              runtime.deps.logger?.warn('could not reply to Slack', { error: (error as Error).message }),
            );
        }
        return result;
      });
      const budget = Math.max(0, (deps.slackDeadlineMs ?? 2_500) - (Date.now() - started));
      const answer = await Promise.race([work, sleep(budget).then(() => undefined)]);
      if (!answer) {
        runtime.deps.logger?.warn('Slack action answered before it finished', {
          action: value.action,
          incident: value.incidentId,
        });
        work.catch((error: unknown) =>
          runtime.deps.logger?.error('Slack action failed', { error: (error as Error).message }),
        );
        return json(200, { response_type: 'ephemeral', text: STILL_WORKING });
      }
      return json(200, { response_type: 'ephemeral', replace_original: false, text: answer.text });
    }
    if (path.startsWith(ACTION_PATH) && (method === 'GET' || method === 'POST')) {
      const token = decodeURIComponent(path.slice(ACTION_PATH.length));
      const now = runtime.deps.clock();
      let claim: ReturnType<typeof verifyActionToken>;
      try {
        claim = verifyActionToken(token, await keys(deps.linkKey), now);
      } catch (error) {
        if (!(error instanceof InvalidActionTokenError)) throw error;
        const status = error.problem === 'expired' ? 410 : 403;
        return page(status, messagePage('This link does not work', error.message));
      }
      if (method === 'GET') {
        const item = await runtime.deps.incidents.load(claim.stateKey);
        const incident = item ? findIncident(item.state, claim.incidentId) : undefined;
        if (!incident)
          return page(
            404,
            messagePage('Unknown incident', 'Seismo no longer knows this incident (it ended long ago).'),
          );
        return page(200, renderActionPage({ incident, action: claim.action, postUrl: path }));
      }
      const result: ActionResult = await performAction(runtime, {
        action: claim.action,
        stateKey: claim.stateKey,
        incidentId: claim.incidentId,
        actor: { by: `${claim.receiver} (link)`, via: 'link' },
      });
      return page(result.outcome === 'unknown' ? 404 : 200, messagePage('Seismo', result.text));
    }
    return json(404, { error: `no route ${method} ${path}` });
  };
}

function header(event: LambdaFunctionURLEvent, name: string): string | undefined {
  for (const [key, value] of Object.entries(event.headers ?? {}))
    if (key.toLowerCase() === name) return value;
  return undefined;
}

function json(statusCode: number, body: unknown): AckResponse {
  return { statusCode, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) };
}

function page(statusCode: number, body: string): AckResponse {
  return { statusCode, headers: { ...PAGE_HEADERS }, body };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
