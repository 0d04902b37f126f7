/**
 * Fail closed: a webhook route that names its secret (`secretEnv`) refuses every request while
 * that setting is empty, instead of accepting forged, unsigned callbacks; the bridge says so
 * once when it starts.
 */
import type { Adapter, WebhookHandler } from './adapter.js';

/** The setting a route needs and does not have, or undefined. */
export function missingSecret(hook: WebhookHandler, env: Record<string, string | undefined>): string | undefined {
  return hook.secretEnv && !env[hook.secretEnv] ? hook.secretEnv : undefined;
}

/** The refusal's text (answered with 401). */
export function missingSecretMessage(name: string): string {
  return `${name} is not set: this bridge refuses unsigned provider callbacks (set it in .env)`;
}

/**
 * One warning per unset secret of the adapter's routes, for the start-up log.
 * @example missingWebhookSecrets(adapter, env) // ['TELEGRAM_WEBHOOK_SECRET is not set: … (/webhooks/telegram)']
 */
export function missingWebhookSecrets(adapter: Pick<Adapter, 'webhooks'>, env: Record<string, string | undefined>) {
  const byName = new Map<string, string[]>();
  for (const hook of adapter.webhooks ?? []) {
    const name = missingSecret(hook, env);
    if (name) byName.set(name, [...(byName.get(name) ?? []), hook.path]);
  }
  return [...byName].map(([name, paths]) => `${missingSecretMessage(name)} (${paths.join(', ')})`);
}
