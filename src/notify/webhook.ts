// Signed webhook delivery, in the style of Stripe / Slack request signing:
//
//   x-trailwarden-timestamp: <unix seconds>
//   x-trailwarden-signature: sha256=<hex HMAC-SHA256(secret, "<timestamp>.<raw body>")>
//
// A receiver recomputes the HMAC over the raw body it received, compares in constant time, and
// rejects timestamps outside its tolerance, so a captured request cannot be replayed later.
// Each attempt is signed afresh (a retry hours later still carries a current timestamp); the
// delivery id stays the same across attempts so a receiver can drop duplicates.
//
// The secret is never logged, never put in an error, never returned.
import { createHmac, randomUUID, timingSafeEqual } from 'node:crypto';

export const TIMESTAMP_HEADER = 'x-trailwarden-timestamp';
export const SIGNATURE_HEADER = 'x-trailwarden-signature';
export const DELIVERY_HEADER = 'x-trailwarden-delivery';
const SIGNATURE_PREFIX = 'sha256=';

export interface RetryOptions {
  /** Total attempts, including the first (>= 1). */
  attempts: number;
  /** Delay before the first retry; doubles per retry. */
  baseDelayMs: number;
  /** Cap for one delay (also caps Retry-After). Default 60 000. */
  maxDelayMs?: number;
  /** Injected sleep (tests). Default: a timer. */
  sleep?: (ms: number) => Promise<void>;
  /** Injected randomness in [0, 1) for jitter (tests). Default Math.random. */
  random?: () => number;
}

export interface SendSignedWebhookOptions {
  url: string | URL;
  secret: string;
  /** Serialized with JSON.stringify once; the exact bytes sent are the bytes signed. */
  body: unknown;
  /** Clock, epoch milliseconds. Default Date.now. */
  now?: () => number;
  fetch?: typeof globalThis.fetch;
  retry: RetryOptions;
  /** Per-attempt timeout. Default 10 000 ms. */
  timeoutMs?: number;
  /** Aborting stops further attempts (and the one in flight). */
  signal?: AbortSignal;
  /** Sent as x-trailwarden-delivery; default a random UUID. */
  deliveryId?: string;
}

export interface WebhookAttempt {
  /** HTTP status, or null when the request failed before a response. */
  status: number | null;
  /** Present for network errors / timeouts; never contains the secret. */
  error?: string;
}

export interface WebhookResult {
  delivered: boolean;
  /** Attempts made. */
  attempts: number;
  /** Status of the last attempt; null if it got no response. */
  status: number | null;
  deliveryId: string;
  /** Delay waited before each retry, in order. */
  delaysMs: number[];
  history: WebhookAttempt[];
  /** Why delivery failed (last network error, or "HTTP <status>"). */
  error?: string;
}

export function signPayload(secret: string, timestamp: number | string, body: string): string {
  return (
    SIGNATURE_PREFIX + createHmac('sha256', secret).update(`${timestamp}.`).update(body, 'utf8').digest('hex')
  );
}

/** Retry on network errors, 429 and 5xx; other statuses are final. */
export function isRetryableStatus(status: number): boolean {
  return status === 429 || status >= 500;
}

/**
 * Exponential backoff with "equal jitter": retry n (1-based) waits in [b·2^(n-1)/2, b·2^(n-1)),
 * so successive delays grow while clients spread out. Capped at maxDelayMs.
 */
export function backoffDelay(
  retry: number,
  baseDelayMs: number,
  maxDelayMs: number,
  random: () => number,
): number {
  const exp = Math.min(maxDelayMs, baseDelayMs * 2 ** (retry - 1));
  return Math.round(exp / 2 + random() * (exp / 2));
}

/** Retry-After as delta-seconds or an HTTP date; undefined when absent or unparsable. */
export function parseRetryAfter(value: string | null, nowMs: number): number | undefined {
  if (value === null || value.trim() === '') return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - nowMs);
}

const defaultSleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function describeError(err: unknown, secret: string): string {
  let msg: string;
  if (err instanceof Error) {
    const cause = (err as Error & { cause?: unknown }).cause;
    const causeMsg =
      cause instanceof Error ? `: ${(cause as Error & { code?: string }).code ?? cause.message}` : '';
    msg = `${err.name}: ${err.message}${causeMsg}`;
  } else {
    msg = String(err);
  }
  // Defence in depth: nothing we build puts the secret in an error, but a custom fetch might.
  return secret.length > 0 ? msg.split(secret).join('[redacted]') : msg;
}

export async function sendSignedWebhook(opts: SendSignedWebhookOptions): Promise<WebhookResult> {
  const { secret, retry } = opts;
  if (typeof secret !== 'string' || secret.length === 0) throw new TypeError('webhook secret is empty');
  if (!Number.isInteger(retry.attempts) || retry.attempts < 1) {
    throw new RangeError('retry.attempts must be an integer >= 1');
  }
  if (!(retry.baseDelayMs >= 0)) throw new RangeError('retry.baseDelayMs must be >= 0');

  const doFetch = opts.fetch ?? globalThis.fetch;
  const now = opts.now ?? Date.now;
  const sleep = retry.sleep ?? defaultSleep;
  const random = retry.random ?? Math.random;
  const maxDelayMs = retry.maxDelayMs ?? 60_000;
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const deliveryId = opts.deliveryId ?? randomUUID();
  const body = JSON.stringify(opts.body);
  if (body === undefined) throw new TypeError('webhook body is not JSON-serializable');

  const history: WebhookAttempt[] = [];
  const delaysMs: number[] = [];
  let retryAfterMs: number | undefined;

  for (let attempt = 1; attempt <= retry.attempts; attempt++) {
    if (attempt > 1) {
      let delay = backoffDelay(attempt - 1, retry.baseDelayMs, maxDelayMs, random);
      if (retryAfterMs !== undefined) delay = Math.max(delay, Math.min(retryAfterMs, maxDelayMs));
      delaysMs.push(delay);
      await sleep(delay);
    }
    if (opts.signal?.aborted) {
      history.push({ status: null, error: 'aborted' });
      break;
    }

    const timestamp = Math.floor(now() / 1000);
    const signals = [AbortSignal.timeout(timeoutMs)];
    if (opts.signal) signals.push(opts.signal);
    retryAfterMs = undefined;

    let response: Response;
    try {
      response = await doFetch(opts.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'user-agent': 'trailwarden-webhook/1',
          [TIMESTAMP_HEADER]: String(timestamp),
          [SIGNATURE_HEADER]: signPayload(secret, timestamp, body),
          [DELIVERY_HEADER]: deliveryId,
        },
        body,
        redirect: 'manual',
        signal: AbortSignal.any(signals),
      });
    } catch (err) {
      history.push({ status: null, error: describeError(err, secret) });
      if (opts.signal?.aborted) break;
      continue;
    }

    // Drain the body so the connection can be reused; its content is not needed.
    await response.arrayBuffer().catch(() => undefined);
    history.push({ status: response.status });

    if (response.status >= 200 && response.status < 300) {
      return {
        delivered: true,
        attempts: history.length,
        status: response.status,
        deliveryId,
        delaysMs,
        history,
      };
    }
    if (!isRetryableStatus(response.status)) break;
    retryAfterMs = parseRetryAfter(response.headers.get('retry-after'), now());
  }

  const last = history[history.length - 1];
  return {
    delivered: false,
    attempts: history.length,
    status: last?.status ?? null,
    deliveryId,
    delaysMs,
    history,
    error: last?.error ?? (last?.status != null ? `HTTP ${last.status}` : 'not attempted'),
  };
}

export interface VerifyWebhookSignatureOptions {
  secret: string;
  /** The x-trailwarden-timestamp header as received. */
  timestamp: string | number | null | undefined;
  /** The x-trailwarden-signature header as received. */
  signature: string | null | undefined;
  /** The raw request body, exactly as received (not re-serialized JSON). */
  body: string | Uint8Array;
  /** Accepted clock difference either way. */
  toleranceSeconds: number;
  /** Clock, epoch milliseconds. Default Date.now. */
  now?: () => number;
}

export type VerifyResult =
  | { valid: true; timestamp: number }
  | { valid: false; reason: 'missing' | 'malformed' | 'stale' | 'mismatch' };

export function verifyWebhookSignature(opts: VerifyWebhookSignatureOptions): VerifyResult {
  const { signature, timestamp } = opts;
  if (signature == null || timestamp == null || signature === '' || timestamp === '') {
    return { valid: false, reason: 'missing' };
  }
  const ts =
    typeof timestamp === 'number' ? timestamp : /^\d{1,15}$/.test(timestamp) ? Number(timestamp) : NaN;
  if (!Number.isSafeInteger(ts)) return { valid: false, reason: 'malformed' };
  if (!signature.startsWith(SIGNATURE_PREFIX)) return { valid: false, reason: 'malformed' };
  const hex = signature.slice(SIGNATURE_PREFIX.length);
  if (!/^[0-9a-f]{64}$/i.test(hex)) return { valid: false, reason: 'malformed' };

  const nowSeconds = Math.floor((opts.now ?? Date.now)() / 1000);
  if (Math.abs(nowSeconds - ts) > opts.toleranceSeconds) return { valid: false, reason: 'stale' };

  const expected = createHmac('sha256', opts.secret)
    .update(`${ts}.`)
    .update(typeof opts.body === 'string' ? Buffer.from(opts.body, 'utf8') : opts.body)
    .digest();
  const given = Buffer.from(hex, 'hex');
  // Both are 32 bytes here (checked by the pattern above); timingSafeEqual requires equal lengths.
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    return { valid: false, reason: 'mismatch' };
  }
  return { valid: true, timestamp: ts };
}
