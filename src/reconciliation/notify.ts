// Sends a reconciliation summary to every configured webhook, signed with the shared secret
// (src/notify/webhook.ts). The secret stays in this closure: never logged, never returned.
import { sendSignedWebhook } from '../notify/webhook.ts';
import type { ReconciliationNotification } from './store.ts';

export interface Notifier {
  send(body: unknown): Promise<ReconciliationNotification[]>;
}

export interface WebhookNotifierOptions {
  urls: readonly string[];
  secret: string;
  attempts?: number;
  baseDelayMs?: number;
  timeoutMs?: number;
  fetch?: typeof globalThis.fetch;
  logger?: { warn(obj: object, msg?: string): void; info(obj: object, msg?: string): void };
}

export function webhookNotifier(opts: WebhookNotifierOptions): Notifier {
  return {
    async send(body) {
      return Promise.all(
        opts.urls.map(async (url): Promise<ReconciliationNotification> => {
          try {
            const result = await sendSignedWebhook({
              url,
              secret: opts.secret,
              body,
              retry: { attempts: opts.attempts ?? 4, baseDelayMs: opts.baseDelayMs ?? 1000 },
              ...(opts.timeoutMs ? { timeoutMs: opts.timeoutMs } : {}),
              ...(opts.fetch ? { fetch: opts.fetch } : {}),
            });
            const out: ReconciliationNotification = {
              url,
              delivered: result.delivered,
              attempts: result.attempts,
              status: result.status,
              ...(result.error ? { error: result.error } : {}),
            };
            if (result.delivered) opts.logger?.info({ url, attempts: result.attempts }, 'webhook delivered');
            else
              opts.logger?.warn(
                { url, attempts: result.attempts, error: result.error },
                'webhook not delivered',
              );
            return out;
          } catch (err) {
            return { url, delivered: false, attempts: 0, status: null, error: (err as Error).message };
          }
        }),
      );
    },
  };
}
