// Addresses as providers write them and as Junction keeps them: phone numbers in E.164 with
// their "+", the bare digits most APIs want, and the "whatsapp:" scheme some put in front.
// A sender that is not a phone number (an alphanumeric name, a short code) is kept as it is.

const WHATSAPP = 'whatsapp:';

/** A bare international number ("447700900001") in E.164 ("+447700900001"); anything else as it is. */
export function withPlus(address: string): string {
  return /^\d{7,15}$/.test(address) ? `+${address}` : address;
}

/** An E.164 number as the APIs want it: its digits without "+"; anything else as it is. */
export function withoutPlus(address: string): string {
  return /^\+\d+$/.test(address) ? address.slice(1) : address;
}

/** Whether an address carries the "whatsapp:" scheme. */
export function isWhatsApp(address: string): boolean {
  return address.startsWith(WHATSAPP);
}

/** The address with the "whatsapp:" scheme (added once). */
export function withWhatsApp(address: string): string {
  return isWhatsApp(address) ? address : `${WHATSAPP}${address}`;
}

/** The address without its "whatsapp:" scheme. */
export function withoutWhatsApp(address: string): string {
  return isWhatsApp(address) ? address.slice(WHATSAPP.length) : address;
}
