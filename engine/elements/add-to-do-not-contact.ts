// Add to do-not-contact list: the person's contacts stop receiving messages on the chosen
// channels, from every sender or only from the chosen ones.
import { defineElement } from '../element.js';
import { doNotContactElement } from './do-not-contact.js';

export default defineElement(
  doNotContactElement('addToDoNotContact', 'add', 'Add to do-not-contact list', 'Blocks the person’s contacts on channels and senders.', {
    channels: [{ channel: 'sms' }, { channel: 'email', senders: ['news@shop.example'] }],
  }),
);
