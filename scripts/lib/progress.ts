// Live progress of a run on stderr: every line timestamped with the run's elapsed time, durations in
// s/min (never ms), and a heartbeat while a long step prints nothing (a bounded interval timer that
// never keeps the process alive).

/** 870 -> "0.9 s", 12_300 -> "12 s", 125_000 -> "2 min 05 s", 3_725_000 -> "62 min 05 s". */
export function formatDuration(ms: number): string {
  const v = Math.max(0, ms);
  if (v < 10_000) return `${(v / 1000).toFixed(1)} s`;
  if (v < 60_000) return `${Math.round(v / 1000)} s`;
  const total = Math.round(v / 1000);
  return `${Math.floor(total / 60)} min ${String(total % 60).padStart(2, "0")} s`;
}

/** `[ 1 min 05 s] text`: the elapsed time, padded so lines align. */
export function progressLine(elapsedMs: number, text: string): string {
  return `[${formatDuration(elapsedMs).padStart(9)}] ${text}`;
}

export interface HeartbeatState {
  step: string;
  stepStarted: number;
  lastLine: number;
  /** What is still running (e.g. resources in flight), for the heartbeat line. */
  waitingOn: () => string[];
}

/** The heartbeat line, or undefined when something was printed within `everyMs`. */
export function heartbeatLine(s: HeartbeatState, now: number, everyMs: number): string | undefined {
  if (now - s.lastLine < everyMs) return undefined;
  const waiting = s.waitingOn();
  const list = waiting.length ? `; waiting on ${waiting.slice(0, 4).join(", ")}${waiting.length > 4 ? ` and ${waiting.length - 4} more` : ""}` : "";
  return `... ${s.step} still running (${formatDuration(now - s.stepStarted)})${list}`;
}

export class Progress {
  private readonly t0: number;
  private state?: HeartbeatState;
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly write: (line: string) => void,
    private readonly everyMs = 30_000,
    private readonly now: () => number = Date.now,
  ) {
    this.t0 = now();
  }

  line(text: string): void {
    const now = this.now();
    if (this.state) this.state.lastLine = now;
    this.write(progressLine(now - this.t0, text));
  }

  /** A step starts: its line now, a heartbeat while it prints nothing. */
  begin(step: string, text: string, waitingOn: () => string[] = () => []): void {
    this.end();
    const now = this.now();
    this.state = { step, stepStarted: now, lastLine: now, waitingOn };
    this.line(text);
    this.timer = setInterval(() => this.beat(), Math.max(1000, Math.floor(this.everyMs / 3)));
    this.timer.unref();
  }

  beat(): void {
    if (!this.state) return;
    const l = heartbeatLine(this.state, this.now(), this.everyMs);
    if (l) this.line(l);
  }

  end(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.state = undefined;
  }
}
