// Telnyx's delivery statuses (`to[].status` of message.sent / message.finalized events) in
// Junction's words (carrier-dialects.md §9.3). A status not listed is 'unknown'.
import type { DeliveryStatus } from '../../engine/messaging/message.js';

export const TELNYX_STATUSES = {
  queued: 'queued',
  sending: 'queued',
  sent: 'sent',
  delivered: 'delivered',
  read: 'read',
  sending_failed: 'failed',
  delivery_failed: 'failed',
  expired: 'failed',
  delivery_unconfirmed: 'unknown',
} as const satisfies Record<string, DeliveryStatus>;
