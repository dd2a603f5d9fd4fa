/**
 * The Slack chat surface. The composition root needs only {@link createSlackApp}; the rest is
 * exported for tests and for features that want the renderer or the outbox directly.
 */
export type { HttpHandler, SlackApp, SlackAppOptions } from './slack-app.js';
export { createSlackApp, SLACK_EVENTS_PATH } from './slack-app.js';
export { SlackSurface } from './slack-surface.js';
export type { ApiCallObserver, ApiCallOutcome, PostedMessage, SlackApiCaller, SlackApiResult, SlackOutboxOptions } from './web-api-outbox.js';
export { SlackOutbox } from './web-api-outbox.js';
export type { RatePolicy } from './rate-policy.js';
export { DEFAULT_RATE_POLICIES } from './rate-policy.js';
export type { BlockKitMessage } from './block-kit-renderer.js';
export { renderBlockKit, SLACK_LIMITS } from './block-kit-renderer.js';
export { decodeActionId, encodeActionId } from './action-ids.js';
export type { HomeSections } from './home-listener.js';
export { placeholderHome } from './home-listener.js';
export { UserGroupResolver } from './user-groups.js';
export { SlackApiError } from './slack-api-error.js';
export { mentionMarkup, withMentions } from './mentions.js';
export { toChannelMessage } from './channel-listener.js';
