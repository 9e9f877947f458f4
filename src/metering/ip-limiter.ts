import { DurableObject } from 'cloudflare:workers';
import { fullBucket, takeToken, type BucketState } from '../core/token-bucket.js';
import type { RateInfo } from './key-meter.js';

/**
 * The anonymous tier's limiter: one Durable Object per client IP, a token bucket of `perMinute` requests
 * refilled evenly over a minute. The bucket lives in memory only: nothing is billed here, and a restart at
 * worst hands an IP one fresh minute's allowance.
 */
export class IpRateLimiter extends DurableObject {
  private bucket: BucketState | undefined;

  take(perMinute: number): RateInfo & { allowed: boolean } {
    const now = Date.now();
    const limits = { capacity: perMinute, refillPerSecond: perMinute / 60 };
    const taken = takeToken(this.bucket ?? fullBucket(limits, now), limits, now);
    this.bucket = taken.state;
    return {
      allowed: taken.allowed,
      limit: perMinute,
      remaining: taken.remaining,
      resetSeconds: taken.resetSeconds,
      retryAfterSeconds: taken.retryAfterSeconds,
    };
  }
}
