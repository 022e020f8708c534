// Exit: the participant leaves the flow here. Validation adds one automatically on every
// unconnected branch, so a flow need not spell them out; exits are counted per branch.
import { Type } from '@sinclair/typebox';
import { defineElement } from '../element.js';
import { EXIT } from '../vocabulary.js';

export default defineElement<Record<string, never>>({
  type: 'exit',
  role: 'element',
  title: 'Exit',
  description: 'Ends the participant’s journey.',
  config: Type.Object({}, { additionalProperties: false }),
  example: {},
  branches: () => [],
  execute: () => EXIT,
});
