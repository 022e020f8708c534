// Time alone changes some real-time segments: a rule such as "last purchase was more than 60
// days ago" takes a person in at the moment their purchase turns 60 days old, with no change to
// their profile. The people store knows when that may next happen (each person's own moment,
// or local midnight for rules on whole days); the engine runs a check then, on the minute, and
// the store re-tests those people, a slice at a time (at most about 10 ms of work) with a turn
// of the event loop between slices, announcing who joined or left as after a profile change,
// so real-time audiences take them in. A check runs at least once an hour, and the start of
// each one that ends is journaled: after a restart, membership is rebuilt as of then (for a
// person whose profile changed later, as of that change, which announced it) and everyone is
// re-tested at once, so people who joined while the process was down still come in, and
// nobody else comes in twice.
import type { Clock, TimerHandle } from '../clock.js';
import type { PeopleStore, SegmentCheck } from '../store/interfaces.js';

/** People re-tested between two turns of the event loop. */
const SLICE = 2_000;
const MINUTE_MS = 60_000;
/** The longest time between two checks, so that a restart re-tests at most this much again. */
const HEARTBEAT_MS = 3_600_000;

export class SegmentClock {
  private timer: TimerHandle | undefined;
  /** A check is under way (it arms the next when it ends). */
  private running = false;
  private stopped = false;
  private lastCheck: number;

  /** `checked` hears the start of each check that ended. */
  constructor(
    private readonly clock: Clock,
    private readonly people: PeopleStore,
    private readonly checked: (at: number) => void,
  ) {
    this.lastCheck = clock.now();
  }

  /** Arms the next check: when the store says time may change a segment (on the minute), an hour after the last at the latest. */
  arm(): void {
    if (this.stopped || this.running) return;
    const next = this.people.nextSegmentCheck();
    if (next === undefined) return this.cancel();
    const at = Math.max(this.clock.now(), Math.min(Math.ceil(next / MINUTE_MS) * MINUTE_MS, this.lastCheck + HEARTBEAT_MS));
    if (this.timer && this.timer.at <= at) return;
    this.cancel();
    this.timer = this.clock.schedule(at, () => this.check());
  }

  stop(): void {
    this.stopped = true;
    this.cancel();
  }

  private cancel(): void {
    if (this.timer) this.clock.cancel(this.timer);
    this.timer = undefined;
  }

  private check(): void {
    this.timer = undefined;
    this.running = true;
    this.run(this.people.segmentCheck(), this.clock.now());
  }

  /** Re-tests a slice now and the rest after turns of the event loop; arms the next check when done. */
  private run(check: SegmentCheck | undefined, at: number): void {
    if (this.stopped) return;
    if (check?.next(SLICE)) {
      setImmediate(() => this.run(check, at));
      return;
    }
    this.running = false;
    this.lastCheck = at;
    this.checked(at);
    this.arm();
  }
}
