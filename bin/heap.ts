// The process's garbage-collection setting (configuration `heapHeadroomPercent`): how far V8
// lets the heap grow past what survived the last full collection before it runs the next one.
// A full collection marks every live object, and a process holding a million participants
// and their people marks hundreds of megabytes: each one stalls wake-ups and requests for
// hundreds of milliseconds. More headroom makes them rarer at the cost of memory.
import { setFlagsFromString } from 'node:v8';

/** Sets V8's heap growing factor to 1 + percent/100 for this process; 0 leaves V8's own choice. */
export function setHeapHeadroom(percent: number): void {
  if (!Number.isInteger(percent) || percent < 0) throw new RangeError(`heap headroom is a whole percentage ≥ 0, not ${percent}`);
  setFlagsFromString(`--heap-growing-percent=${percent}`); // 0 is V8's default: its own choice
}
