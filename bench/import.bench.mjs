// Import time of each public entry point, each in a fresh process, interleaved rounds.
// Baselines in the same run: `import('zod')` (the one dependency the schemas need) and an empty
// module. Targets: `custom-channel/contract` and `custom-channel/adapter` load no Fastify and
// take < 60 ms on a quiet machine; judged here as ratios, since this machine is shared.
import { spawnSync } from 'node:child_process';
import { median, report } from './lib.mjs';

const runs = Number(process.env.BENCH_RUNS ?? 15);
const entries = [
  ['empty module (baseline)', 'data:text/javascript,'],
  ['zod (baseline)', 'zod'],
  ['custom-channel/adapter', 'custom-channel/adapter'],
  ['custom-channel/contract', 'custom-channel/contract'],
  ['custom-channel/mock-provider', 'custom-channel/mock-provider'],
  ['custom-channel/emulator', 'custom-channel/emulator'],
  ['custom-channel/bridge', 'custom-channel/bridge'],
  ['custom-channel (everything)', 'custom-channel'],
];

/** ms to import `specifier`, measured inside the child; also whether Fastify got loaded. */
function timeImport(specifier) {
  const code = `const t=performance.now();await import(${JSON.stringify(specifier)});const ms=performance.now()-t;const {createRequire}=await import('node:module');const fastify=Object.keys(createRequire(import.meta.url).cache).some((k)=>k.includes('/node_modules/fastify/'));console.log(JSON.stringify({ms,fastify}))`;
  const result = spawnSync(process.execPath, ['--input-type=module', '-e', code], { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`import ${specifier} failed: ${result.stderr}`);
  return JSON.parse(result.stdout.trim().split('\n').at(-1));
}

const samples = entries.map(() => []);
const fastify = entries.map(() => false);
for (let round = 0; round < runs; round += 1) {
  entries.forEach(([, specifier], i) => {
    const { ms, fastify: loaded } = timeImport(specifier);
    samples[i].push(ms);
    fastify[i] ||= loaded;
  });
}
const zod = median(samples[1]);
entries.forEach(([name], i) => {
  const values = samples[i];
  const value = median(values);
  const range = `[${Math.min(...values).toFixed(1)}-${Math.max(...values).toFixed(1)}]`;
  const light = name === 'custom-channel/adapter' || name === 'custom-channel/contract';
  report(`import ${name} ${range}${fastify[i] ? ' (loads fastify)' : ''}`, value, 'ms', {
    ...(i > 1 ? { ratio: value / zod } : {}),
    ...(light ? { target: '< 60 ms, no fastify', pass: value < 60 && !fastify[i] } : {}),
  });
});
