import { createHmac } from 'node:crypto';

/** Headers Slack sends with a request: v0 HMAC-SHA256 over `v0:<timestamp>:<body>`. */
export function slackSignatureHeaders(signingSecret: string, body: string, timestampSeconds = Math.floor(Date.now() / 1000)): Record<string, string> {
  const signature = createHmac('sha256', signingSecret).update(`v0:${timestampSeconds}:${body}`).digest('hex');
  return { 'x-slack-request-timestamp': String(timestampSeconds), 'x-slack-signature': `v0=${signature}` };
}

/** The form body Slack posts for a slash command. */
export function slashCommandBody(fields: { text: string; channelId: string; userId: string; userName?: string; responseUrl?: string; command?: string }): string {
  return new URLSearchParams({
    token: 'deprecated-verification-token',
    team_id: 'T0LOCAL',
    team_domain: 'local',
    channel_id: fields.channelId,
    channel_name: 'netcheck',
    user_id: fields.userId,
    user_name: fields.userName ?? 'you',
    command: fields.command ?? '/netcheck',
    text: fields.text,
    api_app_id: 'A0LOCAL',
    response_url: fields.responseUrl ?? 'https://hooks.slack.com/commands/T0LOCAL/0/local',
    trigger_id: `${Date.now()}.local`,
  }).toString();
}
