/**
 * A template's `fixtures/provider-stub.json`: which provider API calls the stand-in answers
 * with which recorded responses, which recorded callbacks it sends back for each scenario, and
 * which recorded push is a contact's inbound message. Paths of payload files are relative to
 * the template's `fixtures/` folder.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { z } from 'zod';
import { CliError, messageOf } from '../errors.js';
import { forbiddenKey } from '../lib/safe-path.js';
import { scenarios } from '../mock-provider/types.js';
import type { PayloadTemplate } from './fill.js';

/** Where a project or template keeps its stand-in description. */
export const STUB_MANIFEST = join('fixtures', 'provider-stub.json');

const PayloadSchema = z.object({
  /** A recorded payload, relative to `fixtures/`. */
  file: z.string().min(1),
  /** Dot path -> value (placeholders allowed), applied to a copy of the payload. */
  set: z
    .record(z.string(), z.unknown())
    .refine((set) => Object.keys(set).every((path) => !forbiddenKey(path.split('.'))), {
      error: '"__proto__", "prototype" and "constructor" are not allowed in a path',
    })
    .default({}),
  unset: z
    .array(z.string().refine((path) => !forbiddenKey(path.split('.')), { error: 'a forbidden key in a path' }))
    .default([]),
});

const ResponseSchema = PayloadSchema.extend({ status: z.int().min(100).max(599).default(200) });

const AuthSchema = z.union([
  z.strictObject({ basic: z.strictObject({ username: z.string(), password: z.string() }) }),
  z.strictObject({ bearer: z.string() }),
  z.strictObject({ pathParam: z.string(), env: z.string() }),
  /** A header that must equal an env value, e.g. Gupshup's `apikey: <key>`. */
  z.strictObject({ header: z.string().min(1), env: z.string() }),
]);

const RouteSchema = z.object({
  method: z.string().default('POST'),
  /** Path on the stub; `:name` matches one segment or the rest of one (`/bot:token/sendMessage`). */
  path: z.string().startsWith('/'),
  /** Credentials checked against the stub's env (names of env variables). */
  auth: AuthSchema.optional(),
  unauthorized: ResponseSchema.optional(),
  /** Dot path of the recipient in the request body: the contact the message goes to. */
  recipient: z.string().optional(),
  /** Prefix that turns the provider's recipient into respond.io's contact ID (`+` for digits-only numbers). */
  recipientPrefix: z.string().default(''),
  /** Form fields that hold JSON (Gupshup's `message={...}`), parsed before the dot paths below are read. */
  jsonFields: z.array(z.string()).default([]),
  /** Dot paths tried in order for `{{text}}`. */
  text: z.array(z.string()).default([]),
  response: ResponseSchema,
  /** Whether the scenario's callbacks follow this call (sends: yes; lookups such as getFile: no). */
  callbacks: z.boolean().default(true),
});

const CallbackSchema = PayloadSchema.extend({
  method: z.string().default('POST'),
  /** Path on the bridge (placeholders allowed, e.g. `?secret={{env:SECRET}}`). */
  path: z.string().startsWith('/'),
  /** How the body goes: JSON, or form-urlencoded like ClickSend's "post" pushes. */
  as: z.enum(['json', 'form']).default('json'),
  headers: z.record(z.string(), z.string()).default({}),
});

const InboundSchema = CallbackSchema.extend({
  /** The mId respond.io will see for the inbound message, e.g. `{{contactId}}:{{id}}`. */
  mId: z.string().default('{{id}}'),
});

export const StubManifestSchema = z.object({
  provider: z.string().min(1),
  /** Environment for the adapter; `{{url}}` is the stub's base URL. */
  env: z.record(z.string(), z.string()),
  /** Provider message ids: upper-case UUIDs (ClickSend) or an increasing integer (Telegram). */
  ids: z.enum(['uuid', 'counter']).default('uuid'),
  routes: z.array(RouteSchema).min(1),
  callbacks: z.record(z.string(), CallbackSchema).default({}),
  /** Scenario -> names of callbacks, in the order they are sent. */
  scenarios: z.partialRecord(z.enum(scenarios), z.array(z.string())),
  defaultScenario: z.enum(scenarios),
  inbound: InboundSchema,
});

export type StubManifest = z.infer<typeof StubManifestSchema>;
export type StubRoute = StubManifest['routes'][number] & {
  responseTemplate: PayloadTemplate;
  unauthorizedTemplate?: PayloadTemplate;
};
export type StubCallback = z.infer<typeof CallbackSchema> & { template: PayloadTemplate };

/** A manifest with its payload files read. */
export interface LoadedStub {
  root: string;
  manifest: StubManifest;
  routes: StubRoute[];
  callbacks: Record<string, StubCallback>;
  inbound: StubCallback & { mId: string };
}

/** Whether a project or template folder ships a provider stand-in (recorded, or as code). */
export function hasProviderStub(root: string): boolean {
  return existsSync(join(root, STUB_MANIFEST)) || existsSync(join(root, 'fixtures', 'provider-stub.ts'));
}

function readJson(file: string, root: string): unknown {
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new CliError(`${relative(root, file)}: ${messageOf(error)}`, {
      hint: 'the provider stand-in replays the fixtures of the project; restore the file from the template',
    });
  }
}

/**
 * Reads `<root>/fixtures/provider-stub.json` and every payload it names.
 * @example const stub = loadStubManifest('templates/clicksend-sms')
 */
export function loadStubManifest(root: string): LoadedStub {
  const file = join(root, STUB_MANIFEST);
  if (!existsSync(file)) {
    throw new CliError(`no provider stand-in in ${root}: ${STUB_MANIFEST} is missing`, {
      hint: 'offline runs need the template fixtures; scaffold with `custom-channel init` or use --live',
    });
  }
  const parsed = StubManifestSchema.safeParse(readJson(file, root));
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new CliError(`${STUB_MANIFEST}: ${issue.path.join('.')}: ${issue.message}`);
  }
  const manifest = parsed.data;
  const template = (payload: z.infer<typeof PayloadSchema>): PayloadTemplate => ({
    base: readJson(join(root, 'fixtures', payload.file), root),
    set: payload.set,
    unset: payload.unset,
  });
  for (const [scenario, names] of Object.entries(manifest.scenarios)) {
    const missing = (names ?? []).find((name) => !(name in manifest.callbacks));
    if (missing) throw new CliError(`${STUB_MANIFEST}: scenarios.${scenario} names an unknown callback "${missing}"`);
  }
  if (!(manifest.defaultScenario in manifest.scenarios)) {
    throw new CliError(`${STUB_MANIFEST}: defaultScenario "${manifest.defaultScenario}" is not in scenarios`);
  }
  return {
    root,
    manifest,
    routes: manifest.routes.map((route) => ({
      ...route,
      responseTemplate: template(route.response),
      unauthorizedTemplate: route.unauthorized ? template(route.unauthorized) : undefined,
    })),
    callbacks: Object.fromEntries(
      Object.entries(manifest.callbacks).map(([name, cb]) => [name, { ...cb, template: template(cb) }]),
    ),
    inbound: { ...manifest.inbound, template: template(manifest.inbound) },
  };
}
