/**
 * Button `action_id`s. Slack requires them to be unique within a message, but a neutral message
 * may carry two actions with the same routing id (say, two `cancel-job` buttons for two jobs), so
 * the renderer sends `<action.id>:<index>` where index is the button's position in the message.
 * When the button is pressed, Bolt hands back that `action_id` and the button's `value`;
 * {@link decodeActionId} strips the suffix to give `ActionRequest.actionId`, and `value` is
 * passed through unchanged as `ActionRequest.value`.
 */

/** Slack's limit on `action_id` length. */
export const ACTION_ID_MAX = 255;

/** `<id>:<index>`: unique within one message. */
export function encodeActionId(id: string, index: number): string {
  return `${id}:${index}`;
}

/**
 * The router's action id for a Slack `action_id`. Only a trailing `:<digits>` is removed, so ids
 * that themselves contain colons survive, and ids from elsewhere (no suffix) pass through.
 */
export function decodeActionId(actionId: string): string {
  return actionId.replace(/:\d+$/, '');
}
