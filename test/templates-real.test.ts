/**
 * The real-provider templates (clicksend-sms, gupshup-whatsapp, telegram-bot) keep their promises to users:
 * the README gives respond.io's exact steps, every fixture is documented, the simulate cases
 * parse, the provider base URL is configurable, and the offline stand-in loads. (Installing
 * and running each template's own tests is test/templates.test.ts's job.)
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { parseEnv } from 'node:util';
import { describe, expect, it } from 'vitest';
import { hasProviderStub, loadStubManifest } from '../src/provider-stub/manifest.js';
import { loadProjectCases } from '../src/simulate/cases.js';

const templates = resolve(import.meta.dirname, '..', 'templates');

const real = [
  {
    name: 'clicksend-sms',
    idType: 'phone',
    idLabel: 'Phone Number',
    apiUrl: ['CLICKSEND_API_URL', 'https://rest.clicksend.com/v3'],
    secrets: ['CLICKSEND_USERNAME', 'CLICKSEND_API_KEY'],
  },
  {
    name: 'gupshup-whatsapp',
    idType: 'phone',
    idLabel: 'Phone Number',
    apiUrl: ['GUPSHUP_API_URL', 'https://api.gupshup.io/wa/api/v1'],
    secrets: ['GUPSHUP_API_KEY', 'GUPSHUP_WEBHOOK_SECRET'],
  },
  {
    name: 'telegram-bot',
    idType: 'custom',
    idLabel: 'Custom ID',
    apiUrl: ['TELEGRAM_API_URL', 'https://api.telegram.org'],
    secrets: ['TELEGRAM_BOT_TOKEN', 'TELEGRAM_WEBHOOK_SECRET'],
  },
] as const;

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

/** `api/send-*.request.json` -> a RegExp over relative paths. */
function globToRegExp(glob: string): RegExp {
  return new RegExp(`^${glob.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*')}$`);
}

describe.each(real)('$name', (t) => {
  const root = join(templates, t.name);
  const read = (file: string) => readFileSync(join(root, file), 'utf8');

  it('declares its ID type, adapter and the scripts the scaffolder runs', () => {
    const pkg = JSON.parse(read('package.json'));
    expect(pkg.customChannel).toEqual({ adapter: 'src/adapter.ts', template: t.name, idType: t.idType });
    expect(pkg.scripts).toMatchObject({ test: 'vitest run', typecheck: 'tsc --noEmit' });
    expect(Object.keys(pkg.dependencies)).toEqual(['custom-channel']);
  });

  it('ships .env.example (as _env.example) with a configurable provider base URL and every secret', () => {
    const env = parseEnv(read('_env.example'));
    expect(env[t.apiUrl[0]]).toBe(t.apiUrl[1]);
    for (const key of t.secrets) expect(Object.keys(env)).toContain(key);
    for (const key of t.secrets) expect(env[key], `${key} must be empty in the example`).toBe('');
    expect(read('_gitignore')).toMatch(/^\.env$/m);
  });

  it("gives respond.io's exact steps and the commands to run", () => {
    const readme = read('README.md');
    expect(readme).toContain('Settings > Channels > Add Channel > Custom Channel');
    expect(readme).toContain('API Base URL');
    expect(readme).toContain('custom-channel dev');
    expect(readme).toContain(`**${t.idLabel}**`);
    for (const word of ['Channel ID', 'API Token', 'Webhook URL', 'npm test']) expect(readme).toContain(word);
    for (const key of t.secrets) expect(readme).toContain(key);
  });

  it('names the documentation page behind every provider fixture', () => {
    const readme = read('fixtures/README.md');
    const globs = [...readme.matchAll(/`([a-z-]+\/[^`\s]+)`/g)].map((m) => globToRegExp(m[1]));
    const fixtures = filesUnder(join(root, 'fixtures'))
      .map((file) => relative(join(root, 'fixtures'), file))
      .filter((file) => file !== 'README.md' && file !== 'provider-stub.json');
    expect(fixtures.length).toBeGreaterThan(5);
    const undocumented = fixtures.filter((file) => !globs.some((re) => re.test(file)));
    expect(undocumented).toEqual([]);
    expect(readme).toMatch(/https:\/\/(developers\.clicksend\.com|core\.telegram\.org|docs\.gupshup\.io)\//);
  });

  it('has simulate cases that parse and hit the adapter routes, and a stand-in that loads', () => {
    const cases = loadProjectCases(root);
    expect(cases.length).toBeGreaterThan(1);
    const adapter = read('src/adapter.ts');
    for (const c of cases) {
      expect(c.leg).toBe('provider');
      expect(adapter).toContain(`'${c.path.split('?')[0]}'`);
    }
    const stub = loadStubManifest(root);
    expect(Object.keys(stub.manifest.env)).toContain(t.apiUrl[0]);
  });
});

describe('telegram-bot', () => {
  it('says that only `sent` is reported because the Bot API has no delivery receipts', () => {
    const readme = readFileSync(join(templates, 'telegram-bot', 'README.md'), 'utf8');
    expect(readme).toMatch(/only `sent` is reported/i);
    expect(readme).toMatch(/Bot API has no delivery or read receipts/);
  });
});

describe('gupshup-whatsapp', () => {
  const root = join(templates, 'gupshup-whatsapp');
  it("says WhatsApp's terms apply and that templates cannot be sent on a Custom Channel", () => {
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    expect(readme).toMatch(/WhatsApp's terms apply/);
    expect(readme).toMatch(/24-hour window/);
    expect(readme).toMatch(/cannot send template messages on a Custom Channel/);
    expect(readme).toMatch(/no signature/);
  });

  it('names its callback fixtures after Gupshup event types and stands in for every one of them', () => {
    const names = readdirSync(join(root, 'fixtures', 'callbacks'));
    for (const type of ['enqueued', 'sent', 'delivered', 'read', 'failed']) {
      expect(names).toContain(`message-event-${type}.json`);
    }
    const stub = loadStubManifest(root);
    expect(stub.manifest.scenarios.read).toEqual(['enqueued', 'sent', 'delivered', 'read']);
    for (const cb of Object.values(stub.callbacks)) expect(cb.path).toContain('secret={{env:GUPSHUP_WEBHOOK_SECRET}}');
  });
});

describe('webchat', () => {
  const root = join(templates, 'webchat');
  const read = (file: string) => readFileSync(join(root, file), 'utf8');

  it('declares a Custom ID channel whose stand-in is code (simulated visitors)', () => {
    const pkg = JSON.parse(read('package.json'));
    expect(pkg.customChannel).toEqual({ adapter: 'src/adapter.ts', template: 'webchat', idType: 'custom' });
    expect(Object.keys(pkg.dependencies)).toEqual(['custom-channel']);
    expect(hasProviderStub(root)).toBe(true);
    expect(JSON.parse(read('tsconfig.json')).include).toContain('fixtures');
  });

  it('fails closed: the secret is required and empty in the example', () => {
    const env = parseEnv(read('_env.example'));
    expect(env.WEBCHAT_SECRET).toBe('');
    expect(Object.keys(env)).toContain('WEBCHAT_ALLOWED_ORIGINS');
    expect(read('_gitignore')).toMatch(/^\.env$/m);
  });

  it("gives respond.io's steps, the script tag and what it does against XSS", () => {
    const readme = read('README.md');
    for (const word of [
      'Settings > Channels > Add Channel > Custom Channel',
      'API Base URL',
      '**Custom ID**',
      'Channel ID',
      'API Token',
      'Webhook URL',
      'npm test',
      'custom-channel dev',
    ]) {
      expect(readme).toContain(word);
    }
    expect(readme).toContain('<script src="https://<your server>/webchat/widget.js" defer></script>');
    expect(readme).toMatch(/textContent/);
    expect(readme).toMatch(/Content-Security-Policy/);
  });

  it('has simulate cases that hit the widget routes', () => {
    const cases = loadProjectCases(root);
    expect(cases.length).toBeGreaterThan(3);
    const adapter = read('src/adapter.ts');
    for (const c of cases) expect(adapter).toContain(`'${c.path}'`);
  });
});
