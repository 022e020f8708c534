// Shared by the metrics tests: reads Prometheus text (throwing on a line that is not the format)
// into its samples, and GET /metrics of an app through the API helper.
import type { Api } from './api-helper.js';

/** Prometheus text format: comments, or `name{label="value",…} number` (NaN in any case, as Prometheus reads it: prom-client writes `Nan`). */
const SAMPLE = /^[a-zA-Z_:][a-zA-Z0-9_:]*(\{([a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\]|\\.)*",?)*\})? (-?[0-9.e+-]+|[Nn]a[Nn]|\+Inf|-Inf)$/;

/** Each sample, `name{labels}` → value. */
export function samples(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('# HELP ') || line.startsWith('# TYPE ')) continue;
    if (!SAMPLE.test(line)) throw new Error(`not Prometheus text: ${line}`);
    const at = line.lastIndexOf(' ');
    out.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return out;
}

/** The metric families the text declares (`# TYPE name kind`), by name. */
export function families(text: string): Map<string, string> {
  return new Map([...text.matchAll(/^# TYPE (\S+) (\S+)$/gm)].map((m) => [m[1]!, m[2]!]));
}

/** The app's metrics, as samples and families. */
export async function scrape(a: Api): Promise<{ text: string; samples: Map<string, number> }> {
  const r = await a.call('GET', '/metrics', undefined, undefined, {}, '');
  if (r.status !== 200) throw new Error(`GET /metrics answered ${r.status}: ${r.text}`);
  return { text: r.text, samples: samples(r.text) };
}
