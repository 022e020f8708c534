// Remove from do-not-contact list: lifts the block on the chosen channels and senders.
import { defineElement } from '../element.js';
import { doNotContactElement } from './do-not-contact.js';

export default defineElement(
  doNotContactElement('removeFromDoNotContact', 'remove', 'Remove from do-not-contact list', 'Unblocks the person’s contacts on channels and senders.', {
    channels: [{ channel: 'sms' }],
  }),
);
