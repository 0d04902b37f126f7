/**
 * Rendering for `simulate`, `send` and `demo`: hops, status histories, check results and a
 * progress line. Pure functions over data and a chalk instance from the Reporter; no chalk
 * import here, so output.ts stays the only module that loads it.
 */
import type { ChalkInstance } from 'chalk';

/** The shapes rendered here, structurally (so ui/ does not depend on the services). */
export interface HopView {
  at: number;
  from: string;
  to: string;
  label: string;
  status: number;
  latencyMs: number;
  ok: boolean;
  detail?: string;
}
export interface StatusView {
  value: string;
  at: number;
  message?: string;
  source?: 'response' | 'callback';
}
export interface CheckView {
  name: string;
  ok: boolean;
  message: string;
}
export interface CaseView {
  name: string;
  ok: boolean;
  request: { method: string; url: string; body: unknown };
  response: { status: number; body: unknown; latencyMs: number; error?: string };
  events?: Array<{ type: string; mId: string; status?: string }>;
  checks: CheckView[];
}

const ms = (value: number) => (value >= 1000 ? `${(value / 1000).toFixed(2)} s` : `${Math.round(value)} ms`);
const pad = (text: string, width: number) => (text.length >= width ? text : text + ' '.repeat(width - text.length));
const short = (value: unknown, max = 90) => {
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  if (text === undefined) return '';
  const flat = text.replace(/\s+/g, ' ');
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
};

/** `  +12 ms  respond.io → bridge      POST /message (text)        200   4 ms  mId prov-1` */
export function renderHop(hop: HopView, style: ChalkInstance): string {
  const mark = hop.ok ? style.green('✓') : style.red('✗');
  const route = pad(`${hop.from} → ${hop.to}`, 24);
  const status = hop.status === 0 ? style.red('---') : hop.ok ? String(hop.status) : style.red(String(hop.status));
  const latency = hop.latencyMs > 0 ? style.dim(pad(ms(hop.latencyMs), 7)) : pad('', 7);
  return `  ${mark} ${style.dim(pad(`+${ms(Math.max(0, hop.at))}`, 9))} ${route} ${pad(hop.label, 28)} ${status} ${latency}${hop.detail ? ` ${style.dim(hop.detail)}` : ''}`;
}

/** `sent (+15 ms) → delivered (+120 ms) → read (+240 ms)`; failures in red with their reason. */
export function renderStatusFlow(statuses: readonly StatusView[], startedAt: number, style: ChalkInstance): string {
  if (statuses.length === 0) return style.dim('no status yet');
  // respond.io marks a message sent when /message answers; the provider's own "sent" receipt
  // that follows is the same fact, so the flow shows it once.
  const answered = statuses.some((s) => s.source === 'response' && s.value === 'sent');
  return statuses
    .filter((s) => !(answered && s.source === 'callback' && s.value === 'sent'))
    .map((s) => {
      const at = style.dim(`(+${ms(Math.max(0, s.at - startedAt))})`);
      if (s.value === 'failed') return `${style.red('failed')}${s.message ? style.red(`: ${s.message}`) : ''} ${at}`;
      return `${s.value === 'read' ? style.green(s.value) : s.value} ${at}`;
    })
    .join(' → ');
}

/** A simulate case: one header line, then what was sent, what came back, events and failed checks. */
export function renderCase(result: CaseView, style: ChalkInstance, verbose = false): string[] {
  const mark = result.ok ? style.green('✓') : style.red('✗');
  const answer = result.response.error
    ? style.red(result.response.error)
    : `${result.response.status} ${style.dim(ms(result.response.latencyMs))}`;
  const lines = [`${mark} ${pad(result.name, 30)} ${answer}`];
  const width = verbose ? 400 : 90;
  lines.push(
    style.dim(`    sent     ${result.request.method} ${result.request.url} ${short(result.request.body, width)}`),
  );
  if (!result.response.error) lines.push(style.dim(`    got      ${short(result.response.body, width)}`));
  if (result.events && (verbose || result.events.length > 0)) {
    const list = result.events.map((e) => (e.status ? `${e.type}(${e.status})` : e.type)).join(', ');
    lines.push(style.dim(`    events   ${list || 'none'}`));
  }
  for (const check of result.checks) {
    if (!check.ok) lines.push(`    ${style.red('✗')} ${pad(check.name, 12)} ${check.message}`);
    else if (verbose) lines.push(`    ${style.green('✓')} ${pad(check.name, 12)} ${style.dim(check.message)}`);
  }
  return lines;
}

/** `[3/8] ████████░░░░░░░░ sending image` */
export function renderProgress(done: number, total: number, label: string, style: ChalkInstance, width = 16): string {
  const filled = total === 0 ? width : Math.round((done / total) * width);
  const bar = style.green('█'.repeat(filled)) + style.dim('░'.repeat(width - filled));
  return `[${pad(`${done}/${total}`, String(total).length * 2 + 1)}] ${bar} ${label}`;
}
