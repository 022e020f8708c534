// Vonage's delivery statuses in Junction's words (carrier-dialects.md §9.3): the SMS API's
// delivery receipts and the Messages API's status webhooks. A status not listed is 'unknown'.
import type { DeliveryStatus } from '../../engine/messaging/message.js';

/** SMS API delivery receipt `status`. */
export const SMS_API_STATUSES = {
  accepted: 'sent',
  buffered: 'sent',
  delivered: 'delivered',
  failed: 'failed',
  rejected: 'failed',
  expired: 'failed',
  unknown: 'unknown',
} as const satisfies Record<string, DeliveryStatus>;

/** Messages API status webhook `status`. */
export const MESSAGES_API_STATUSES = {
  submitted: 'sent',
  delivered: 'delivered',
  read: 'read',
  rejected: 'failed',
  undeliverable: 'failed',
} as const satisfies Record<string, DeliveryStatus>;
