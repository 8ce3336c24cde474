import { isSlackResponseUrl } from './slack-interaction.ts';

/**
 * Replies to the person who pressed a button, visible to them only (Slack's `response_url`, valid for 30
 * minutes): "acknowledged", or who acknowledged first. Only hooks.slack.com is ever called; 2 s at most.
 */
export async function postToResponseUrl(responseUrl: string, text: string): Promise<void> {
  if (!isSlackResponseUrl(responseUrl)) throw new Error('not a Slack response URL');
  const response = await fetch(responseUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ response_type: 'ephemeral', replace_original: false, text }),
    signal: AbortSignal.timeout(2_000),
  });
  if (!response.ok) throw new Error(`Slack answered ${response.status} to the response URL`);
}
