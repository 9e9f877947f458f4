// Rate-limit arithmetic: a token bucket, pure, so it is tested without a clock or a runtime.

/** A bucket's state: tokens left (fractional) and when that was computed (ms since the epoch). */
export interface BucketState {
  tokens: number;
  at: number;
}

export interface BucketLimits {
  /** Most tokens the bucket holds (the burst). */
  capacity: number;
  /** Tokens added per second. */
  refillPerSecond: number;
}

export interface TakeResult {
  allowed: boolean;
  state: BucketState;
  /** Whole tokens left after this request (RateLimit-Remaining). */
  remaining: number;
  /** Seconds until the bucket is full again, rounded up (RateLimit-Reset). */
  resetSeconds: number;
  /** When refused: seconds until one token is back, rounded up, at least 1 (Retry-After). */
  retryAfterSeconds: number;
}

/** A full bucket, as a key starts (and as a Durable Object finds it after a restart). */
export function fullBucket(limits: BucketLimits, now: number): BucketState {
  return { tokens: limits.capacity, at: now };
}

/**
 * Takes one token if there is one. The bucket refills continuously at `refillPerSecond` up to `capacity`;
 * a clock that goes backwards adds nothing. Returns the new state whether or not the request was allowed.
 */
export function takeToken(state: BucketState, limits: BucketLimits, now: number): TakeResult {
  const elapsed = Math.max(0, now - state.at) / 1000;
  const tokens = Math.min(limits.capacity, state.tokens + elapsed * limits.refillPerSecond);
  const allowed = tokens >= 1;
  const left = allowed ? tokens - 1 : tokens;
  const next: BucketState = { tokens: left, at: Math.max(now, state.at) };
  return {
    allowed,
    state: next,
    remaining: Math.floor(left),
    resetSeconds: Math.ceil((limits.capacity - left) / limits.refillPerSecond),
    retryAfterSeconds: allowed ? 0 : Math.max(1, Math.ceil((1 - left) / limits.refillPerSecond)),
  };
}
