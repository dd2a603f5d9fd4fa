import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

// Request bodies derived from the corpus copies in test/fixtures/slack (see SOURCES.md there).
const dir = fileURLToPath(new URL('../../fixtures/slack/', import.meta.url));

/** A fixture file's exact bytes (as text). */
export function fixture(name: string): string {
  return readFileSync(`${dir}${name}`, 'utf8');
}

/** The bolt-python slash-command body with Lifeboat's fields substituted. */
export function slashCommandBody(fields: { command?: string; text: string; channelId?: string; userId?: string; responseUrl?: string }): string {
  const params = new URLSearchParams(fixture('slash-command.bolt-python-test.body.raw'));
  params.set('command', fields.command ?? '/lifeboat');
  params.set('text', fields.text);
  if (fields.channelId) params.set('channel_id', fields.channelId);
  if (fields.userId) params.set('user_id', fields.userId);
  if (fields.responseUrl) params.set('response_url', fields.responseUrl);
  return params.toString();
}

/** The bolt-python block_actions payload with one of Lifeboat's buttons, form-encoded like Slack. */
export function blockActionsBody(fields: { actionId: string; value: string; channelId?: string; messageTs?: string; threadTs?: string; responseUrl?: string }): string {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- a corpus payload edited field by field
  const payload = JSON.parse(fixture('block-actions.payload.bolt-python-test.json')) as Record<string, any>;
  const channelId = fields.channelId ?? payload.channel.id;
  const messageTs = fields.messageTs ?? payload.container.message_ts;
  payload.actions[0].action_id = fields.actionId;
  payload.actions[0].value = fields.value;
  payload.channel.id = channelId;
  payload.container = { ...payload.container, channel_id: channelId, message_ts: messageTs, is_ephemeral: false };
  payload.message = { type: 'message', user: 'U0LIFEBOAT', ts: messageTs, text: 'Confirm?', ...(fields.threadTs ? { thread_ts: fields.threadTs } : {}) };
  if (fields.responseUrl) payload.response_url = fields.responseUrl;
  return `payload=${encodeURIComponent(JSON.stringify(payload))}`;
}

/** An Events API `app_home_opened` callback (CONSTRUCTED from the documented envelope). */
export function appHomeOpenedBody(userId: string, tab: 'home' | 'messages' = 'home'): string {
  return JSON.stringify({
    token: 'verification_token',
    team_id: 'T111',
    api_app_id: 'A111',
    event: { type: 'app_home_opened', user: userId, channel: 'D111', tab, event_ts: '1596530385.194939' },
    type: 'event_callback',
    event_id: 'Ev111',
    event_time: 1596530385,
    authorizations: [{ enterprise_id: null, team_id: 'T111', user_id: 'U0LIFEBOAT', is_bot: true, is_enterprise_install: false }],
  });
}
