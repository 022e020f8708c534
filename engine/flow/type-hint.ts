// What a flow author is told about an entry point or element type the registry does not know:
// the known type it is most likely a typo of (one or two letters off, any case), else every
// type of that role, so the message always says what to write instead.

/** Edits (a letter added, removed, changed or two swapped) from which a typo is still named. */
const NEAR = 2;

/** `unknown element type "addTga"; did you mean "addTag"?`, or the list of the role's types. */
export function unknownTypeMessage(type: string, role: 'entry point' | 'element', known: readonly string[]): string {
  const ranked = known.map((name) => ({ name, edits: edits(name.toLowerCase(), type.toLowerCase()) })).sort((a, b) => a.edits - b.edits);
  const near = ranked[0] !== undefined && ranked[0].edits <= NEAR ? ranked[0].name : undefined;
  const hint = near !== undefined ? `did you mean "${near}"?` : `the ${role} types are ${known.join(', ')}`;
  return `unknown ${role} type "${type}"; ${hint}`;
}

/** Optimal string alignment distance: insertions, deletions, substitutions and swaps of neighbours. */
function edits(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i]![j] = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i]![j] = Math.min(d[i]![j]!, d[i - 2]![j - 2]! + 1);
    }
  }
  return d[a.length]![b.length]!;
}
