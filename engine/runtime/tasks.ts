// The engine's one work queue. Entries, timer wake-ups and effect results run from it in
// order, so an entry caused by an effect runs after the step that caused it, never inside
// it; a task that throws is logged and never stops the others.
import { toJunctionError } from '../errors.js';

export class TaskQueue {
  private tasks: Array<() => void> = [];
  private draining = false;

  constructor(private readonly logger: { error(obj: object, msg?: string): void }) {}

  push(task: () => void): void {
    this.tasks.push(task);
  }

  /** Runs queued tasks in order (tasks may queue more); a no-op when already draining. */
  drain(): void {
    if (this.draining) return;
    this.draining = true;
    for (let head = 0; head < this.tasks.length; head++) {
      try {
        this.tasks[head]!();
      } catch (err) {
        const e = toJunctionError(err, 'JCT_INTERNAL');
        this.logger.error({ code: e.code }, e.message);
      }
    }
    this.tasks = [];
    this.draining = false;
  }

  /** Queues a task from outside a drain (a clock callback, a promise) and drains. */
  run(task: () => void): void {
    this.push(task);
    this.drain();
  }
}
