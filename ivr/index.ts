// The IVR module: the Inbound Call entry point, the Outbound call element, the IVR elements
// (say, play, collect, record, forward, pause, hang up) and the `call` input they wait for. The
// providers' voice routes, and the placing of outbound calls, are modules of their own
// (providers.ts).
import type { Module } from '../engine/module.js';
import { callInput } from './call.js';
import inboundCall from './elements/inbound-call.js';
import say from './elements/say.js';
import play from './elements/play.js';
import collect from './elements/collect.js';
import record from './elements/record.js';
import forwardCall from './elements/forward-call.js';
import callPause from './elements/call-pause.js';
import hangUp from './elements/hang-up.js';
import outboundCall from './elements/outbound-call.js';

export const ivrModule: Module = {
  name: 'ivr',
  elements: [inboundCall, outboundCall, say, play, collect, record, forwardCall, callPause, hangUp],
  inputs: [callInput],
};
