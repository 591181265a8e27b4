const WIDTH = 30;
const REDRAW_MS = 100;

/**
 * A progress bar on stderr (stdout stays for the summary, so it can be piped). On a terminal it
 * redraws in place; otherwise it prints a line at every tenth, which reads well in a CI log.
 */
export class ProgressBar {
  private readonly total: number;
  private readonly stream: NodeJS.WritableStream & { isTTY?: boolean };
  private readonly tty: boolean;
  private lastDraw = 0;
  private lastTenth = -1;

  constructor(total: number, stream: NodeJS.WritableStream & { isTTY?: boolean } = process.stderr) {
    this.total = total;
    this.tty = Boolean(stream.isTTY);
    this.stream = stream;
  }

  /** Reports `done` of `total` rows. */
  update(done: number): void {
    const ratio = this.total === 0 ? 1 : Math.min(1, done / this.total);
    if (this.tty) {
      const now = Date.now();
      if (done < this.total && now - this.lastDraw < REDRAW_MS) return;
      this.lastDraw = now;
      this.stream.write(`\r${this.render(done, ratio)}`);
      if (done >= this.total) this.stream.write('\n');
      return;
    }
    const tenth = Math.floor(ratio * 10);
    if (tenth === this.lastTenth) return;
    this.lastTenth = tenth;
    this.stream.write(`${this.render(done, ratio)}\n`);
  }

  private render(done: number, ratio: number): string {
    const filled = Math.round(ratio * WIDTH);
    return `[${'#'.repeat(filled)}${'.'.repeat(WIDTH - filled)}] ${String(Math.floor(ratio * 100)).padStart(3)}% ${done}/${this.total}`;
  }
}
