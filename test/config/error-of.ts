// Test helper: what a function throws (tap's `throws` cannot match nested details).

export function errorOf(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  throw new Error('expected an error');
}
