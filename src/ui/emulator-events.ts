/**
 * One human line per emulator event for `custom-channel emulate` (NDJSON mode prints the
 * events themselves). Events not worth a line return undefined.
 */
import type { ChalkInstance } from 'chalk';
import { formatProblem } from '../contract/problems.js';
import type { EmulatorEvent } from '../emulator/types.js';

function clock(time: number): string {
  return new Date(time).toISOString().slice(11, 23);
}

/** The line for one event, or undefined for events the console skips. */
export function renderEvent(event: EmulatorEvent, style: ChalkInstance): string | undefined {
  const at = style.dim(clock(event.time));
  const who = event.contactId ? ` ${event.contactId}` : '';
  switch (event.type) {
    case 'webhook.accepted': {
      const warn = event.warnings.length
        ? style.yellow(` (${event.warnings.length} warning(s): ${event.warnings.map(formatProblem).join('; ')})`)
        : '';
      return `${at} ${style.green('webhook 200')}${who} ${event.events} event(s)${warn}`;
    }
    case 'webhook.rejected': {
      const detail = event.problems.length ? event.problems.map(formatProblem).join('; ') : event.message;
      return `${at} ${style.red(`webhook ${event.status}`)}${who} ${detail}`;
    }
    case 'message.inbound':
      return `${at} ${style.cyan('inbound')}${who} ${event.record.message.type} mId=${event.mId}`;
    case 'message.echo':
      return `${at} ${style.cyan('echo')}${who} ${event.record.message.type} mId=${event.mId}`;
    case 'outgoing.response': {
      const x = event.exchange;
      const result = x.mId
        ? style.green(`${x.status} mId=${x.mId}`)
        : style.red(`${x.status || 'no answer'} ${x.error ?? ''}`);
      return `${at} ${style.magenta('POST /message')}${who} #${event.messageId} ${result} ${style.dim(`${x.latencyMs} ms`)}`;
    }
    case 'message.status': {
      const why = event.status.message ? ` (${event.status.message})` : '';
      return `${at} status #${event.messageId} ${event.previous ?? ''} -> ${event.status.value}${why}`;
    }
    case 'anomaly':
      return `${at} ${style.yellow('anomaly')} ${event.anomaly.kind}: ${event.message} ${style.dim(`(${event.anomaly.note})`)}`;
    case 'faults.changed':
      return `${at} faults ${JSON.stringify(event.faults)}`;
    case 'reset':
      return `${at} state reset`;
    default:
      return undefined;
  }
}
