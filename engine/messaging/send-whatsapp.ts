// Send WhatsApp: a text, an approved template with its body parameters, or an interactive
// message (up to three reply buttons, or a list) from one of our WhatsApp numbers. Texts,
// parameters, button titles and list rows take {{placeholders}}. See send.ts for the rest.
import { Type, type Static } from '@sinclair/typebox';
import type { CompileContext, RunContext } from '../element.js';
import { compileTemplate, type CompiledTemplate } from '../expressions/template.js';
import { sendElement, type SendElement } from './send.js';

const Text = (max: number, description?: string) => Type.String({ minLength: 1, maxLength: max, ...(description ? { description } : {}) });
const Id = Type.String({ minLength: 1, maxLength: 256, description: 'the payload the reply carries' });

const Fields = {
  text: Type.Optional(Text(4096, 'a text, with {{placeholders}}')),
  template: Type.Optional(
    Type.Object(
      { name: Text(512), language: Text(16, 'e.g. en_US'), parameters: Type.Optional(Type.Array(Text(1024), { maxItems: 20, description: 'body parameters in order' })) },
      { additionalProperties: false },
    ),
  ),
  interactive: Type.Optional(
    Type.Union([
      Type.Object(
        { type: Type.Literal('buttons'), body: Text(1024), buttons: Type.Array(Type.Object({ id: Id, title: Text(20) }, { additionalProperties: false }), { minItems: 1, maxItems: 3 }) },
        { additionalProperties: false },
      ),
      Type.Object(
        {
          type: Type.Literal('list'),
          body: Text(1024),
          button: Text(20),
          sections: Type.Array(
            Type.Object(
              {
                title: Text(24),
                rows: Type.Array(Type.Object({ id: Id, title: Text(24), description: Type.Optional(Text(72)) }, { additionalProperties: false }), { minItems: 1, maxItems: 10 }),
              },
              { additionalProperties: false },
            ),
            { minItems: 1, maxItems: 10 },
          ),
        },
        { additionalProperties: false },
      ),
    ]),
  ),
};
type Config = { from: string; to?: string; timeoutSeconds?: number } & Static<ReturnType<typeof Type.Object<typeof Fields>>>;

/** The message content with every text compiled; rendered per participant. */
type Prepared = unknown;

/** The channel's parts of the element (failover.ts sends them too). */
export const whatsAppSend: SendElement<Config, Prepared> = {
  type: 'sendWhatsApp',
  channel: 'whatsapp',
  title: 'Send WhatsApp',
  description: 'Sends a WhatsApp text, template or interactive message; next once the provider accepted it.',
  fields: Fields,
  example: {
    from: '+385800200',
    interactive: { type: 'buttons', body: 'Hi {{person.firstName}}, see you on Monday?', buttons: [{ id: 'yes', title: 'Yes' }, { id: 'no', title: 'No' }] },
  },
  compile: (config, ctx) => {
    const given = [config.text, config.template, config.interactive].filter((c) => c !== undefined).length;
    if (given !== 1) ctx.problem('JCT_WHATSAPP_CONTENT', 'give exactly one of text, template and interactive', '');
    const { text, interactive } = config;
    const template = config.template && { ...config.template, parameters: config.template.parameters ?? [] }; // providers always get the list, empty for a template without parameters
    return compileTexts({ text, template, interactive }, ctx, '');
  },
  content: (prepared, run) => renderTexts(prepared, run) as Record<string, unknown>,
};

export default sendElement(whatsAppSend);

/** Every string in `value` compiled as a template (ids stay as written). */
function compileTexts(value: unknown, ctx: CompileContext, at: string): unknown {
  if (typeof value === 'string') return compileTemplate(value, ctx, at) ?? value;
  if (Array.isArray(value)) return value.map((v, i) => compileTexts(v, ctx, `${at}[${i}]`));
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) if (v !== undefined) out[k] = k === 'id' || k === 'type' ? v : compileTexts(v, ctx, `${at}.${k}`);
  return out;
}

function renderTexts(value: unknown, run: RunContext): unknown {
  if (isTemplate(value)) return value.render({ vars: run.vars, person: run.person, now: run.now });
  if (Array.isArray(value)) return value.map((v) => renderTexts(v, run));
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, renderTexts(v, run)]));
}

function isTemplate(value: unknown): value is CompiledTemplate {
  return typeof value === 'object' && value !== null && typeof (value as CompiledTemplate).render === 'function';
}
