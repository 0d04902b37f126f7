/**
 * A small Dockerfile linter for the templates (hadolint is not packaged in Debian): it parses
 * instructions (continuations, comments, exec-form JSON) and checks the rules this project
 * relies on, named after hadolint's where one exists.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';

export interface Instruction {
  line: number;
  keyword: string;
  args: string;
}

const KEYWORDS = new Set([
  'FROM',
  'RUN',
  'CMD',
  'LABEL',
  'EXPOSE',
  'ENV',
  'ADD',
  'COPY',
  'ENTRYPOINT',
  'VOLUME',
  'USER',
  'WORKDIR',
  'ARG',
  'ONBUILD',
  'STOPSIGNAL',
  'HEALTHCHECK',
  'SHELL',
]);

/** Instructions with continuation lines joined; throws on an unknown instruction. */
export function parseDockerfile(text: string): Instruction[] {
  const out: Instruction[] = [];
  let pending: Instruction | undefined;
  text.split('\n').forEach((raw, index) => {
    const trimmed = raw.trim();
    if (!pending && (trimmed === '' || trimmed.startsWith('#'))) return;
    if (pending && trimmed.startsWith('#')) return;
    const continued = trimmed.endsWith('\\');
    const body = continued ? trimmed.slice(0, -1).trim() : trimmed;
    if (pending) pending.args = `${pending.args} ${body}`.trim();
    else {
      const match = /^([A-Za-z]+)\s*(.*)$/.exec(body);
      if (!match) throw new Error(`line ${index + 1}: not an instruction: ${raw}`);
      const keyword = match[1].toUpperCase();
      if (!KEYWORDS.has(keyword)) throw new Error(`line ${index + 1}: unknown instruction ${match[1]}`);
      pending = { line: index + 1, keyword, args: match[2] };
    }
    if (!continued) {
      out.push(pending);
      pending = undefined;
    }
  });
  if (pending) throw new Error('the last instruction ends with a continuation');
  return out;
}

function execForm(args: string): string[] | undefined {
  try {
    const parsed = JSON.parse(args) as unknown;
    return Array.isArray(parsed) && parsed.every((a) => typeof a === 'string') ? parsed : undefined;
  } catch {
    return undefined;
  }
}

/** ENV values of a stage (`KEY=value` pairs). */
function envOf(stage: Instruction[]): Record<string, string> {
  const env: Record<string, string> = {};
  for (const i of stage.filter((x) => x.keyword === 'ENV'))
    for (const m of i.args.matchAll(/([A-Za-z_][A-Za-z0-9_]*)=("[^"]*"|\S+)/g)) env[m[1]] = m[2].replace(/^"|"$/g, '');
  return env;
}

/**
 * Every problem found (empty: clean). `context` is the build context folder, to check that
 * COPY sources exist (`optional` ones may appear only after scaffolding, like the lockfile).
 */
export function lintDockerfile(text: string, context: string, optional: readonly string[] = []): string[] {
  const problems: string[] = [];
  const all = parseDockerfile(text);
  const stages: Instruction[][] = [];
  for (const i of all) {
    if (i.keyword === 'FROM') stages.push([i]);
    else if (stages.length === 0 && i.keyword !== 'ARG') problems.push(`line ${i.line}: ${i.keyword} before FROM`);
    else stages.at(-1)?.push(i);
  }
  if (stages.length < 2) problems.push('not multi-stage: one FROM');
  const args = Object.fromEntries(
    all.filter((i) => i.keyword === 'ARG').map((i) => i.args.split('=')) as Array<[string, string | undefined]>,
  );
  const names = new Set<string>();
  for (const stage of stages) {
    const from = stage[0];
    const [image, as, name] = from.args.split(/\s+/);
    const resolved = image.replace(/\$\{(\w+)\}/g, (_m, arg: string) => args[arg] ?? '');
    if (!/:[^:/]+$/.test(resolved) && !names.has(image))
      problems.push(`line ${from.line}: DL3006 image without a tag: ${image}`);
    if (/:latest$/.test(resolved)) problems.push(`line ${from.line}: DL3007 latest tag`);
    if (as?.toUpperCase() === 'AS' && name) names.add(name);
    for (const i of stage) {
      if (i.keyword === 'ADD') problems.push(`line ${i.line}: DL3020 ADD instead of COPY`);
      if (i.keyword === 'WORKDIR' && !i.args.startsWith('/')) problems.push(`line ${i.line}: DL3000 relative WORKDIR`);
      if (i.keyword === 'RUN' && /\bnpm install\b/.test(i.args))
        problems.push(`line ${i.line}: npm install, not npm ci`);
      if (i.keyword === 'RUN' && /\b(sudo|apt-get upgrade)\b/.test(i.args))
        problems.push(`line ${i.line}: DL3004/DL3005 sudo or upgrade`);
      if (i.keyword === 'COPY' && !i.args.includes('--from=')) {
        const parts = i.args.split(/\s+/).filter((p) => !p.startsWith('--'));
        for (const source of parts.slice(0, -1)) {
          if (!existsSync(join(context, source)) && !optional.includes(source))
            problems.push(`line ${i.line}: COPY source missing from the context: ${source}`);
        }
      }
      if (i.keyword === 'COPY' && i.args.includes('--from=')) {
        const from = /--from=(\S+)/.exec(i.args)?.[1];
        if (from && !names.has(from)) problems.push(`line ${i.line}: DL3022 COPY --from an unknown stage ${from}`);
      }
    }
  }
  const final = stages.at(-1) ?? [];
  const users = final.filter((i) => i.keyword === 'USER');
  const user = users.at(-1)?.args;
  if (!user || user === 'root' || user === '0') problems.push('DL3002 the final stage runs as root');
  for (const keyword of ['CMD', 'ENTRYPOINT']) {
    for (const i of final.filter((x) => x.keyword === keyword))
      if (!execForm(i.args)) problems.push(`line ${i.line}: DL3025 ${keyword} not in JSON (exec) form`);
  }
  if (final.filter((i) => i.keyword === 'CMD').length !== 1) problems.push('the final stage needs exactly one CMD');
  const health = final.filter((i) => i.keyword === 'HEALTHCHECK');
  if (health.length !== 1) problems.push('the final stage needs exactly one HEALTHCHECK');
  else if (!/\/ready\b/.test(health[0].args)) problems.push('HEALTHCHECK does not probe /ready');
  else if (!execForm(health[0].args.replace(/^.*?CMD\s+/, ''))) problems.push('HEALTHCHECK CMD not in exec form');
  const env = envOf(final);
  const stateDir = env.CUSTOM_CHANNEL_STATE_DIR;
  if (!stateDir) problems.push('the final stage sets no CUSTOM_CHANNEL_STATE_DIR');
  const volumes = final.filter((i) => i.keyword === 'VOLUME').flatMap((i) => execForm(i.args) ?? i.args.split(/\s+/));
  if (stateDir && !volumes.includes(stateDir)) problems.push(`the state dir ${stateDir} is not a VOLUME`);
  const userAt = users.at(-1)?.line ?? Number.POSITIVE_INFINITY;
  const volumeAt = final.find((i) => i.keyword === 'VOLUME')?.line ?? 0;
  const prepared = final.some(
    (i) => i.keyword === 'RUN' && stateDir && i.args.includes(`chown`) && i.args.includes(stateDir),
  );
  if (stateDir && !prepared) problems.push(`the state dir ${stateDir} is not made writable for the user`);
  if (volumeAt && volumeAt < userAt && !prepared) problems.push('VOLUME declared before the folder is prepared');
  return problems;
}
