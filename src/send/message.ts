/**
 * Turns `send`'s flags into the respond.io message object, checked with the contract schema.
 */
import { readFileSync } from 'node:fs';
import { type Message, MessageSchema } from '../contract/messages.js';
import { formatProblem, problemsOf } from '../contract/problems.js';
import { usageError } from '../errors.js';
import { parseJsonText } from '../input.js';

import type { SendType } from './constants.js';

export { type SendType, sendTypes } from './constants.js';

export interface SendMessageInput {
  text?: string;
  /** Default: inferred from the other flags, else `text`. */
  type?: SendType;
  /** Media URL for image/video/audio/file. */
  attachment?: string;
  /** Quick replies: `a,b,c` (the text is the title). */
  replies?: string;
  /** A JSON file: a custom payload object, or a whole respond.io message (`{ "type": ... }`). */
  payload?: string;
  /** `lat,lng` for a location (the text is the address). */
  location?: string;
}

const MEDIA: Record<string, 'image' | 'video' | 'audio'> = {
  jpg: 'image',
  jpeg: 'image',
  png: 'image',
  gif: 'image',
  webp: 'image',
  mp4: 'video',
  mov: 'video',
  mp3: 'audio',
  ogg: 'audio',
  m4a: 'audio',
  wav: 'audio',
};

function inferType(input: SendMessageInput): SendType {
  if (input.type) return input.type;
  if (input.payload) return 'custom_payload';
  if (input.replies) return 'quick_reply';
  if (input.location) return 'location';
  if (input.attachment) {
    const ext = /\.([a-z0-9]+)(?:[?#].*)?$/i.exec(input.attachment)?.[1]?.toLowerCase() ?? '';
    return MEDIA[ext] ?? 'file';
  }
  return 'text';
}

/**
 * @example buildSendMessage({ text: 'Hi', replies: 'Yes,No' }) // { type: 'quick_reply', title: 'Hi', replies: ['Yes', 'No'] }
 */
export function buildSendMessage(input: SendMessageInput): Message {
  const type = inferType(input);
  let message: unknown;
  switch (type) {
    case 'text':
      message = { type, text: input.text ?? '' };
      break;
    case 'quick_reply':
      message = {
        type,
        title: input.text ?? '',
        replies: (input.replies ?? '')
          .split(',')
          .map((r) => r.trim())
          .filter(Boolean),
      };
      break;
    case 'location': {
      const [lat, lng] = (input.location ?? '').split(',').map((v) => Number(v.trim()));
      message = { type, latitude: lat, longitude: lng, ...(input.text ? { address: input.text } : {}) };
      break;
    }
    case 'custom_payload': {
      const value = input.payload ? readPayload(input.payload) : {};
      message = value && typeof value === 'object' && 'type' in value ? value : { type, payload: value };
      break;
    }
    default: {
      const url = input.attachment ?? '';
      const fileName = url.split(/[?#]/)[0].split('/').pop();
      message = { type: 'attachment', attachment: { type, url, ...(fileName ? { fileName } : {}) } };
    }
  }
  const parsed = MessageSchema.safeParse(message);
  if (!parsed.success) {
    const problems = problemsOf(parsed.error, message).map(formatProblem);
    throw usageError(`cannot build a ${type} message: ${problems.join('; ')}`, hintFor(type));
  }
  return parsed.data;
}

function hintFor(type: SendType): string {
  switch (type) {
    case 'text':
      return 'pass the text: custom-channel send "Hello" --to +60177872890';
    case 'quick_reply':
      return 'pass a title and --replies "Yes,No"';
    case 'location':
      return 'pass --location 3.139,101.6869 (and optionally the address as text)';
    case 'custom_payload':
      return 'pass --payload <file.json> holding a JSON object';
    default:
      return `pass --attachment <public http(s) URL> for a ${type}`;
  }
}

function readPayload(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    throw usageError(`--payload ${file}: cannot read`, 'pass a JSON file');
  }
  return parseJsonText(text, file);
}
