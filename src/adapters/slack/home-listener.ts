import type { App } from '@slack/bolt';
import type { Logger } from '../../core/logger.js';
import type { Message } from '../../core/message.js';
import { renderBlockKit } from './block-kit-renderer.js';
import { commandModalButton } from './command-modal.js';
import type { InFlight } from './in-flight.js';
import type { SlackOutbox } from './web-api-outbox.js';

/** Builds what the App Home tab shows; called each time a user opens it. */
export type HomeSections = () => Promise<Message>;

/** Shown until incidents and jobs provide their own sections. */
export const placeholderHome: HomeSections = () =>
  Promise.resolve({
    summary: 'Lifeboat',
    blocks: [
      { type: 'header', text: 'Lifeboat' },
      { type: 'text', text: 'Open incidents' },
      { type: 'context', text: 'No incident tracking yet.' },
      { type: 'divider' },
      { type: 'text', text: 'Running jobs' },
      { type: 'context', text: 'No running jobs.' },
      { type: 'divider' },
      { type: 'context', text: 'Type /lifeboat help in any channel Lifeboat is in to see what it can do.' },
    ],
  });

/**
 * `app_home_opened` (Home tab only): publish the current sections with `views.publish`. A failing
 * provider still publishes a view that says so, rather than leaving a stale or blank tab.
 */
export function registerHomeListener(app: App, deps: { homeSections: HomeSections; outbox: SlackOutbox; inFlight: InFlight; logger: Logger }): void {
  app.event('app_home_opened', async ({ event }) => {
    if (event.tab !== undefined && event.tab !== 'home') return;
    await deps.inFlight.run(async () => {
      let message: Message;
      try {
        message = await deps.homeSections();
      } catch (err) {
        deps.logger.error({ err }, 'Could not build the App Home sections');
        message = { summary: 'Lifeboat', tone: 'warning', blocks: [{ type: 'text', text: 'Lifeboat could not load this page; the details are in its log.' }] };
      }
      try {
        await deps.outbox.call('views.publish', { user_id: event.user, view: { type: 'home', blocks: [...renderBlockKit(message).blocks, commandModalButton()] } });
      } catch (err) {
        deps.logger.error({ err, userId: event.user }, 'Could not publish the App Home view');
      }
    });
  });
}
