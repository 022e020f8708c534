// `junction templates`: the built-in flow templates the package ships (id, name, description),
// as text or JSON. Templates saved from flows live in a running Junction's store, not here.
import { builtInTemplates } from '../templates.js';

export function templatesCommand(json: boolean, out: (line: string) => void): number {
  const templates = builtInTemplates().map((d) => ({ id: d.id, name: d.name, description: d.description ?? '' }));
  if (json) {
    out(JSON.stringify(templates, null, 2));
    return 0;
  }
  const width = Math.max(...templates.map((t) => t.id.length)) + 2;
  for (const t of templates) {
    out(`${t.id.padEnd(width)}${t.name}`);
    out(`${' '.repeat(width)}${t.description}`);
  }
  return 0;
}
