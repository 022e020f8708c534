// Flow API entry point: applications add people (and variable values) to the flow through
// the engine's enter() — the gateway exposes it over HTTP. `campaignId` lets integrations of
// the commercial product, whose flow ids are numbers, name this entry point by such a number.
import { Type } from '@sinclair/typebox';
import { defineElement } from '../element.js';

export interface FlowApiConfig {
  readonly campaignId?: string;
}

export default defineElement<FlowApiConfig>({
  type: 'flowApi',
  role: 'entry',
  title: 'Flow API',
  description: 'People enter when an application adds them through the Flow API.',
  config: Type.Object(
    {
      campaignId: Type.Optional(
        Type.String({
          pattern: '^[0-9]{1,19}$',
          description: "A number (as text) that the commercial product's participants API (/moments/1/flows/{campaignId}/…) names this entry point by, instead of the flow id; one flow at a time may use it",
        }),
      ),
    },
    { additionalProperties: false },
  ),
  example: {},
  branches: () => ['next'],
});
