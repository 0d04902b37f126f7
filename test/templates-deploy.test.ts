/**
 * Every template deploys the way Node services deploy: `npm start` is `custom-channel start`,
 * its Dockerfile passes the linter in test/support/dockerfile-lint.ts (multi-stage, non-root,
 * HEALTHCHECK on /ready, the state dir a VOLUME, exec-form CMD, COPY sources present), its
 * .dockerignore keeps secrets and state out, and its README says how to run it on a VM with
 * systemd and on a container platform, ephemeral disks included. (`npm start` serving /ready
 * in a scaffolded, installed project is checked in test/templates.test.ts.)
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { lintDockerfile, parseDockerfile } from './support/dockerfile-lint.js';

const root = resolve(import.meta.dirname, '..', 'templates');
const templates = readdirSync(root, { withFileTypes: true })
  .filter((entry) => entry.isDirectory() && existsSync(join(root, entry.name, 'package.json')))
  .map((entry) => entry.name);

describe.each(templates)('%s', (name) => {
  const dir = join(root, name);
  const read = (file: string) => readFileSync(join(dir, file), 'utf8');

  it('has npm start = custom-channel start', () => {
    expect(JSON.parse(read('package.json')).scripts.start).toBe('custom-channel start');
  });

  it('has a Dockerfile that passes the lint', () => {
    // The lockfile exists once the scaffolded project is installed.
    expect(lintDockerfile(read('Dockerfile'), dir, ['package-lock.json'])).toEqual([]);
    const cmd = parseDockerfile(read('Dockerfile'))
      .filter((i) => i.keyword === 'CMD')
      .at(-1);
    expect(JSON.parse(cmd?.args ?? '[]')).toEqual([
      'node',
      'node_modules/custom-channel/bin/custom-channel.js',
      'start',
    ]);
  });

  it('keeps secrets, state and local installs out of the image', () => {
    const ignored = read('.dockerignore').split('\n');
    for (const entry of ['.env', 'node_modules', '.custom-channel']) expect(ignored).toContain(entry);
  });

  it('documents deploying on a VM with systemd and on a container platform', () => {
    const readme = read('README.md');
    const deploy = readme.slice(readme.indexOf('## Deploy'));
    expect(readme).toContain('## Deploy');
    for (const words of ['npm start', 'systemd', 'ExecStart=', 'docker run', '/data', 'ephemeral', '/ready', '/health'])
      expect(deploy).toContain(words);
  });
});

describe('the Dockerfile lint', () => {
  it('finds what it is there to find', () => {
    const bad = [
      'FROM node:latest',
      'WORKDIR app',
      'ADD . .',
      'RUN npm install',
      'ENV CUSTOM_CHANNEL_STATE_DIR=/data',
      'VOLUME /data',
      'CMD node start.js',
      '',
    ].join('\n');
    const problems = lintDockerfile(bad, root).join('\n');
    for (const rule of [
      'not multi-stage',
      'DL3007',
      'DL3000',
      'DL3020',
      'npm ci',
      'DL3002',
      'DL3025',
      'HEALTHCHECK',
      'writable',
    ])
      expect(problems).toContain(rule);
    expect(() => parseDockerfile('FORM node:20\n')).toThrow(/unknown instruction/);
    expect(lintDockerfile('FROM node:20 AS a\nFROM node:20\nCOPY missing.txt ./\n', root).join('\n')).toContain(
      'COPY source missing',
    );
  });
});
