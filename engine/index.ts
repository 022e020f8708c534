// The engine's public surface: what channels, IVR, importers, the gateway and the CLI use.
import './elements/index.js';

export { Engine, type EngineOptions, type EnterOptions, type StepEvent, type Logger } from './runtime/engine.js';
export { step, newParticipant, type StepResult } from './runtime/step.js';
export { registry, defineElement, defineEffect, type ElementDefinition, type RunContext, type CompileContext, type EntryHost } from './registry.js';
export { compileFlow, compileFlowOrThrow, type CompiledFlow } from './flow/compile.js';
export type { FlowDefinition } from './flow/schema.js';
export { SystemClock, VirtualClock, type Clock } from './clock.js';
export { JunctionError } from './errors.js';
export { MemoryPeopleStore } from './store/memory-people.js';
export type { Problem, ParticipantState, Input, Effect } from './runtime/types.js';
