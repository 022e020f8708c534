// The XML dialects (TwiML, TeXML, Plivo XML) share one shape: a <Response> of verbs run top to
// bottom, an input verb that holds its prompts and falls through to the next verb when the
// caller gives nothing. renderXml() turns instructions into that shape through a dialect's
// vocabulary (its verb and attribute names); xmlText() writes the document, escaping every text
// and attribute value (& < > " '; characters XML cannot carry left out), with no indentation
// and empty elements closed as <Name/>.
// Written here rather than by an XML library: the shape is this small, and on the IVR's hot
// path building it through fast-xml-parser's ordered form cost 8 % of the server's CPU.
import type { Collect, Forward, HookUrl, Instruction, Pause, PlayPrompt, Prompt, RecordMessage, SayPrompt } from '../instructions.js';
import { MARKER, inputsOf, markedHook, reachable, targetsOf } from './shared.js';

/** An element: its name, its attributes in order (values unescaped) and its children or its text. */
export interface XmlNode {
  readonly name: string;
  readonly attributes: ReadonlyArray<readonly [name: string, value: string]>;
  readonly content: readonly XmlNode[] | string;
}

export type Attributes = Readonly<Record<string, string | number | boolean | undefined>>;

/** What a dialect calls each verb, with its attributes. */
export interface XmlVocabulary {
  say(p: SayPrompt): XmlNode;
  play(p: PlayPrompt): XmlNode;
  pause(p: Pause): XmlNode;
  /** The input verb; `prompts` are nested in it (empty when they play before it, uninterruptible). */
  collect(c: Collect, action: string, prompts: readonly XmlNode[]): XmlNode;
  record(r: RecordMessage, action: string): XmlNode;
  forward(f: Forward, action: string): XmlNode;
  redirect(url: string): XmlNode;
  hangup(): XmlNode;
}

/** The input attribute of TwiML's <Gather> and Plivo's <GetInput>: "dtmf", "speech" or "dtmf speech". */
export function inputWords(c: Collect): string {
  const { dtmf, speech } = inputsOf(c);
  return [...(dtmf ? ['dtmf'] : []), ...(speech ? ['speech'] : [])].join(' ');
}

/**
 * The recognizer hints as one comma-separated attribute, or undefined without any. A comma
 * inside a hint would cut it in two there, so it becomes a space.
 */
export function hintsText(c: Collect, separator: string): string | undefined {
  const hints = (c.speechOptions?.hints ?? []).map((h) => h.replace(/\s*,\s*/g, ' ').trim()).filter((h) => h !== '');
  return hints.length > 0 ? hints.join(separator) : undefined;
}

/** An element with attributes (undefined ones left out) and children or text. */
export function element(name: string, attributes: Attributes = {}, content: readonly XmlNode[] | string = []): XmlNode {
  const kept: Array<[string, string]> = [];
  for (const key of Object.keys(attributes)) {
    const value = attributes[key];
    if (value !== undefined) kept.push([key, String(value)]);
  }
  return { name, attributes: kept, content };
}

/** XML text of the nodes (no declaration). */
export function xmlText(nodes: readonly XmlNode[]): string {
  let out = '';
  for (const node of nodes) out += elementText(node);
  return out;
}

/** A whole document: the declaration and a <Response> holding the nodes. */
export function responseDocument(nodes: readonly XmlNode[]): string {
  return `<?xml version="1.0" encoding="UTF-8"?><Response>${xmlText(nodes)}</Response>`;
}

function elementText({ name, attributes, content }: XmlNode): string {
  let out = `<${name}`;
  for (const [key, value] of attributes) out += ` ${key}="${escaped(value)}"`;
  if (content.length === 0) return `${out}/>`;
  return `${out}>${typeof content === 'string' ? escaped(content) : xmlText(content)}</${name}>`;
}

const SPECIAL = /[&<>"']/g;
const ENTITY: Readonly<Record<string, string>> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' };
/**
 * Characters XML 1.0 cannot carry at all, escaped or not (control characters but tab and line
 * breaks, U+FFFE, U+FFFF, unpaired surrogates): a profile value holding one (a NUL in a name)
 * would make the whole document unreadable to the platform and fail the call, so they are left out.
 */
const NOT_XML = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

function escaped(text: string): string {
  return text.replace(NOT_XML, '').replace(SPECIAL, (c) => ENTITY[c]!);
}

/** The <Response> document for the instructions in the vocabulary. */
export function renderXml(instructions: readonly Instruction[], hookUrl: HookUrl, v: XmlVocabulary): string {
  return responseDocument(reachable(instructions).flatMap((i) => nodesOf(i, hookUrl, v)));
}

function nodesOf(i: Instruction, hookUrl: HookUrl, v: XmlVocabulary): XmlNode[] {
  switch (i.kind) {
    case 'say':
    case 'play':
      return [prompt(i, v)];
    case 'pause':
      return [v.pause(i)];
    case 'collect':
      return collectNodes(i, hookUrl, v);
    case 'record':
      return [v.record(i, hookUrl(i.hook)), v.redirect(markedHook(hookUrl, i.hook, MARKER.noInput))];
    case 'forward':
      targetsOf(i);
      return [v.forward(i, hookUrl(i.hook))];
    case 'redirect':
      return [v.redirect(hookUrl(i.hook))];
    case 'hangup':
      return [v.hangup()];
  }
}

function prompt(p: Prompt, v: XmlVocabulary): XmlNode {
  return p.kind === 'say' ? v.say(p) : v.play(p);
}

/**
 * Interruptible prompts go inside the input verb; others play before it, so no key stops them.
 * After it, a redirect to the hook marked noInput: the provider reaches it only when the caller
 * gave nothing, and it tells us so.
 */
function collectNodes(c: Collect, hookUrl: HookUrl, v: XmlVocabulary): XmlNode[] {
  inputsOf(c);
  const prompts = c.prompts.map((p) => prompt(p, v));
  const nested = c.interruptPrompt ? prompts : [];
  const before = c.interruptPrompt ? [] : prompts;
  return [...before, v.collect(c, hookUrl(c.hook), nested), v.redirect(markedHook(hookUrl, c.hook, MARKER.noInput))];
}
