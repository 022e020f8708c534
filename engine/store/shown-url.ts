// How a store's URL is shown in logs and messages: without its user, its password, or any query
// parameter whose name contains "password" (?password=, ?sslpassword=); and how to take those
// secrets out of a text that may echo them (a driver's error message). Engine and gateway both use it.

/** The server as messages name it, and how to keep its secrets out of them. */
export interface Target {
  /** The URL as shown (shownUrl). */
  readonly where: string;
  /** Replaces the URL's secrets in a text with ***. */
  redact(text: string): string;
}

/** The URL without its user, password and password-like query parameters, for logs; "(not a URL)" when it does not parse. */
export function shownUrl(url: string): string {
  const parsed = parse(url);
  return parsed === undefined ? '(not a URL)' : shown(parsed);
}

/** A parsed store URL's name for messages and its redaction. */
export function targetOf(parsed: URL): Target {
  const secrets = secretsOf(parsed).flatMap((s) => [s, decoded(s)]).filter((s) => s !== '');
  return {
    where: shown(parsed),
    redact: (text) => secrets.reduce((out, secret) => out.split(secret).join('***'), text),
  };
}

function shown(parsed: URL): string {
  const u = new URL(parsed.href);
  u.password = '';
  u.username = '';
  for (const name of [...u.searchParams.keys()]) if (isSecret(name)) u.searchParams.delete(name);
  return u.href;
}

/** The password and the values of password-like query parameters, as written in the URL. */
function secretsOf(parsed: URL): string[] {
  const query = [...parsed.searchParams].filter(([name]) => isSecret(name)).flatMap(([, value]) => [value, encodeURIComponent(value)]);
  return [parsed.password, ...query];
}

function isSecret(name: string): boolean {
  return name.toLowerCase().includes('password');
}

function parse(url: string): URL | undefined {
  try {
    return new URL(url);
  } catch {
    return undefined;
  }
}

function decoded(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}
