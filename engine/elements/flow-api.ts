// Flow API entry point: applications add people (and variable values) to the flow through
// the engine's enter() — the gateway exposes it over HTTP.
import { Type } from '@sinclair/typebox';
import { defineElement } from '../element.js';

export default defineElement<Record<string, never>>({
  type: 'flowApi',
  role: 'entry',
  title: 'Flow API',
  description: 'People enter when an application adds them through the Flow API.',
  config: Type.Object({}, { additionalProperties: false }),
  example: {},
  branches: () => ['next'],
});
