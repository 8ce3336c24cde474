/**
 * Slack Web API error codes (the `error` of an `ok: false` answer) sorted into what a sender can do about
 * them, with the hint a person needs to fix the permanent ones.
 */
import type { FailureScope } from './delivery.ts';

/** Slack's own transient errors: another attempt later may succeed. */
export const SLACK_RETRYABLE_ERRORS: ReadonlySet<string> = new Set([
  'ratelimited',
  'rate_limited',
  'service_unavailable',
  'fatal_error',
  'internal_error',
  'request_timeout',
  'team_added_to_org',
]);

interface PermanentSlackError {
  readonly scope: FailureScope;
  readonly hint: string;
}

const TOKEN_HINT = 'check the Slack bot token in Secrets Manager (an xoxb- token of an installed app)';
const ACCESS_HINT = 'the app cannot post there';

/** Permanent errors by code: what else fails the same way (scope) and what to do. Unknown codes: message. */
export const SLACK_PERMANENT_ERRORS: ReadonlyMap<string, PermanentSlackError> = new Map([
  ['invalid_auth', { scope: 'channel', hint: `the token is invalid: ${TOKEN_HINT}` }],
  ['not_authed', { scope: 'channel', hint: `no token was sent: ${TOKEN_HINT}` }],
  ['token_revoked', { scope: 'channel', hint: `the token was revoked: reinstall the app and ${TOKEN_HINT}` }],
  ['token_expired', { scope: 'channel', hint: `the token expired: ${TOKEN_HINT}` }],
  ['account_inactive', { scope: 'channel', hint: `the app's bot user is deactivated: ${TOKEN_HINT}` }],
  ['not_allowed_token_type', { scope: 'channel', hint: `use a bot token (xoxb-): ${TOKEN_HINT}` }],
  [
    'missing_scope',
    { scope: 'channel', hint: 'the app lacks an OAuth scope: add chat:write (see `needed`), reinstall' },
  ],
  ['no_permission', { scope: 'channel', hint: 'the workspace denies the app this action' }],
  ['team_access_not_granted', { scope: 'channel', hint: 'the token has no access to this workspace' }],
  ['ekm_access_denied', { scope: 'channel', hint: 'workspace administrators suspended posting (EKM)' }],
  ['access_denied', { scope: 'channel', hint: 'workspace administrators denied the app' }],
  [
    'channel_not_found',
    { scope: 'receiver', hint: 'configure the channel ID (C...), and for a private channel invite the app' },
  ],
  [
    'not_in_channel',
    { scope: 'receiver', hint: 'invite the app to the channel (/invite @app) or grant chat:write.public' },
  ],
  ['is_archived', { scope: 'receiver', hint: 'the channel is archived: unarchive it or route elsewhere' }],
  ['restricted_action', { scope: 'receiver', hint: `${ACCESS_HINT}: workspace posting preferences` }],
  ['restricted_action_read_only_channel', { scope: 'receiver', hint: `${ACCESS_HINT}: read-only channel` }],
  ['restricted_action_thread_only_channel', { scope: 'receiver', hint: `${ACCESS_HINT}: thread-only` }],
  ['message_not_found', { scope: 'message', hint: 'the message to update no longer exists: post a new one' }],
  ['cant_update_message', { scope: 'message', hint: 'only messages posted by this app can be updated' }],
  ['edit_window_closed', { scope: 'message', hint: 'the workspace no longer allows editing this message' }],
  ['invalid_blocks', { scope: 'message', hint: 'the blocks break a Block Kit rule (see messages)' }],
  ['invalid_blocks_format', { scope: 'message', hint: 'blocks must be a JSON array of block objects' }],
  ['msg_too_long', { scope: 'message', hint: 'text over 40,000 characters' }],
  ['no_text', { scope: 'message', hint: 'the message has neither text nor blocks' }],
  ['invalid_arguments', { scope: 'message', hint: 'Slack rejected the arguments (see messages)' }],
  ['invalid_metadata_format', { scope: 'message', hint: 'metadata must be {event_type, event_payload}' }],
]);

/** The hint and scope for a permanent `code`; unknown codes count as problems of this message. */
export function permanentSlackError(code: string): PermanentSlackError {
  return SLACK_PERMANENT_ERRORS.get(code) ?? { scope: 'message', hint: 'see the Slack Web API docs for it' };
}
