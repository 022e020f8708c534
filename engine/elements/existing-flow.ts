// Existing Flow entry point: people come in from another flow's Add to flow element (with the
// variable values it passes), never on their own.
import { Type } from '@sinclair/typebox';
import { defineElement } from '../element.js';

export default defineElement<Record<string, never>>({
  type: 'existingFlow',
  role: 'entry',
  title: 'Existing Flow',
  description: "People enter when another flow's Add to flow element adds them.",
  config: Type.Object({}, { additionalProperties: false }),
  example: {},
  branches: () => ['next'],
  maxPerFlow: 1,
});
