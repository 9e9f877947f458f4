import { ModelUnavailableError } from '../core/errors.js';

/**
 * Loads the model once per isolate and decides what happens when that fails, so that a broken model (a
 * corrupt or missing file, ORT's wasm failing to start) gives clear 503s instead of a crash loop, a hang
 * or a flood of logs:
 * - a failed attempt writes ONE log line (the reason, the attempt number, when the next attempt is) and
 *   every request until the next attempt is answered at once with 503 model_unavailable and Retry-After,
 *   without touching ORT;
 * - attempts are at least `retryAfterSeconds` apart, so a permanently broken model costs one line per
 *   interval per isolate, however many requests arrive; the start-up attempt is retried by the first
 *   request (the interval starts then);
 * - an attempt that never settles (seen: ORT given a wasm module that is not its own waits forever) is
 *   abandoned after `timeoutSeconds` of a request waiting on it, and counts as a failed attempt. Start-up
 *   attempts have no deadline, as timers cannot run while the script starts; a request joining one does;
 * - a success is kept for the isolate's life; concurrent callers share one attempt.
 */
export interface ModelLoadGateOptions<T> {
  /** Creates the model (the ORT session); rejects when it cannot. */
  load: () => Promise<T>;
  /** What is loaded, for the log line (e.g. "model/dga.onnx (float)"). */
  what: string;
  /** Seconds between attempts after a failure. */
  retryAfterSeconds: number;
  /** Seconds a request waits for an attempt before the attempt is abandoned as failed. */
  timeoutSeconds: number;
  /** Milliseconds clock; Date.now by default. */
  now?: () => number;
  /** Where the one line per failed attempt goes; console.error by default. */
  log?: (line: string) => void;
}

export interface ModelLoadGate<T> {
  /** The loaded model, or a ModelUnavailableError (503) while it cannot be loaded. */
  get(options?: { startup?: boolean }): Promise<T>;
  /** Failed attempts so far. */
  readonly failures: number;
}

/** One line: the error's message with its whitespace (ORT's messages span lines) folded. */
function oneLine(error: unknown): string {
  const text = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return text.replace(/\s+/g, ' ').trim().slice(0, 500);
}

export function createModelLoadGate<T>(options: ModelLoadGateOptions<T>): ModelLoadGate<T> {
  const { load, what, retryAfterSeconds, timeoutSeconds } = options;
  const now = options.now ?? (() => Date.now());
  const log = options.log ?? ((line: string) => console.error(line));
  let loaded: T | undefined;
  let current: { id: number; promise: Promise<T> } | undefined;
  let attempts = 0;
  let failures = 0;
  let nextAttemptAt = 0;

  // The reason goes to the log only: clients learn that the model is unavailable, not why (no internals).
  const unavailable = (waitSeconds: number) =>
    new ModelUnavailableError(`the model is not available; try again in ${waitSeconds} s`, waitSeconds);

  function fail(reason: string, startup: boolean): void {
    failures += 1;
    current = undefined;
    nextAttemptAt = startup ? 0 : now() + retryAfterSeconds * 1000;
    const next = startup ? 'on the first request' : `in ${retryAfterSeconds} s`;
    log(`model_unavailable: loading ${what} failed (attempt ${failures}; next attempt ${next}; until then requests get 503): ${reason}`);
  }

  function start(startup: boolean): { id: number; promise: Promise<T> } {
    const id = ++attempts;
    const promise = load().then(
      (value) => {
        loaded = value; // even from an abandoned attempt: a model that loads late is still good
        if (current?.id === id) current = undefined;
        return value;
      },
      (error: unknown) => {
        if (current?.id === id) fail(oneLine(error), startup);
        throw unavailable(retryAfterSeconds);
      },
    );
    promise.catch(() => undefined); // an abandoned attempt's rejection is expected, not "unhandled"
    return { id, promise };
  }

  /** Waits for an attempt at most timeoutSeconds; then abandons it as a failed attempt. */
  function withDeadline(attempt: { id: number; promise: Promise<T> }): Promise<T> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        if (loaded === undefined && current?.id === attempt.id) fail(`it did not finish within ${timeoutSeconds} s`, false);
        reject(unavailable(retryAfterSeconds));
      }, timeoutSeconds * 1000);
    });
    return Promise.race([attempt.promise, deadline]).finally(() => clearTimeout(timer));
  }

  return {
    get failures() {
      return failures;
    },
    async get({ startup = false } = {}) {
      if (loaded !== undefined) return loaded;
      if (!current) {
        const wait = nextAttemptAt - now();
        if (failures > 0 && wait > 0) throw unavailable(Math.max(1, Math.ceil(wait / 1000)));
        current = start(startup);
      }
      return startup ? current.promise : withDeadline(current);
    },
  };
}
