/**
 * The Telegram Bot API objects this server uses (https://core.telegram.org/bots/api) and how
 * they map to respond.io: one Bot API method call per outgoing message, and an Update's
 * Message turned into a respond.io message.
 */
import { AdapterError, type Contact, type Message } from 'custom-channel';

export const DEFAULT_API_URL = 'https://api.telegram.org';

export interface TelegramUser {
  id: number;
  is_bot?: boolean;
  first_name?: string;
  last_name?: string;
  username?: string;
  language_code?: string;
}

export interface TelegramChat {
  id: number;
  type?: string;
  first_name?: string;
  last_name?: string;
  title?: string;
}

interface FileRef {
  file_id: string;
  file_unique_id?: string;
  file_size?: number;
  file_name?: string;
  mime_type?: string;
}

export interface TelegramMessage {
  message_id: number;
  date: number;
  chat: TelegramChat;
  from?: TelegramUser;
  text?: string;
  caption?: string;
  photo?: Array<FileRef & { width: number; height: number }>;
  document?: FileRef;
  video?: FileRef;
  audio?: FileRef;
  voice?: FileRef;
  location?: { latitude: number; longitude: number };
  venue?: { location: { latitude: number; longitude: number }; title: string; address: string };
}

export interface Update {
  update_id: number;
  message?: TelegramMessage;
}

/** Every Bot API answer: `{ ok: true, result }` or `{ ok: false, error_code, description }`. */
export interface ApiResponse<T> {
  ok: boolean;
  result?: T;
  error_code?: number;
  description?: string;
  parameters?: { retry_after?: number };
}

/**
 * respond.io's Custom ID allows `A-Z a-z 0-9 _ = + / @`: a private chat's id (positive) is used
 * as is, a group's negative id gets a `g` instead of its `-`.
 * @example contactIdOf(-1001234567890) // 'g1001234567890'
 */
export function contactIdOf(chatId: number | string): string {
  const text = String(chatId);
  return text.startsWith('-') ? `g${text.slice(1)}` : text;
}

/** The inverse of `contactIdOf`; refuses anything that is not a chat id. */
export function chatIdOf(contactId: string): string {
  if (/^\d{1,20}$/.test(contactId)) return contactId;
  const group = /^g(\d{1,20})$/.exec(contactId);
  if (group) return `-${group[1]}`;
  throw new AdapterError(`"${contactId}" is not a Telegram chat id (digits, or g + digits for a group)`);
}

export interface ApiCall {
  method: string;
  params: Record<string, unknown>;
}

/**
 * The Bot API method and parameters that deliver a respond.io message to `chatId`. Files go by
 * URL (Telegram downloads them); quick replies become a one-time reply keyboard.
 * @example buildApiCall('42', { type: 'text', text: 'Hi' }) // { method: 'sendMessage', params: { chat_id: '42', text: 'Hi' } }
 */
export function buildApiCall(chatId: string, message: Message): ApiCall {
  switch (message.type) {
    case 'text':
      return { method: 'sendMessage', params: { chat_id: chatId, text: message.text } };
    case 'attachment': {
      const { type, url, description } = message.attachment;
      const [method, field] = {
        image: ['sendPhoto', 'photo'],
        video: ['sendVideo', 'video'],
        audio: ['sendAudio', 'audio'],
        file: ['sendDocument', 'document'],
      }[type];
      const params: Record<string, unknown> = { chat_id: chatId, [field]: url };
      if (description) params.caption = description;
      return { method, params };
    }
    case 'location': {
      const { latitude, longitude, address } = message;
      if (address)
        return { method: 'sendVenue', params: { chat_id: chatId, latitude, longitude, title: address, address } };
      return { method: 'sendLocation', params: { chat_id: chatId, latitude, longitude } };
    }
    case 'quick_reply':
      return {
        method: 'sendMessage',
        params: {
          chat_id: chatId,
          text: message.title,
          reply_markup: {
            keyboard: message.replies.map((text) => [{ text }]),
            one_time_keyboard: true,
            resize_keyboard: true,
          },
        },
      };
    default:
      throw new AdapterError(`Telegram cannot deliver a ${message.type} message`);
  }
}

/** The respond.io contact fields Telegram knows. */
export function contactOf(user: TelegramUser | undefined, chat: TelegramChat): Contact {
  // In a group the contact is the group, not whoever wrote this message.
  if (chat.type && chat.type !== 'private') return chat.title ? { firstName: chat.title } : {};
  const contact: Contact = {};
  const firstName = user?.first_name ?? chat.first_name ?? chat.title;
  if (firstName) contact.firstName = firstName;
  const lastName = user?.last_name ?? chat.last_name;
  if (lastName) contact.lastName = lastName;
  // Telegram gives an IETF tag (`en`, `pt-br`); respond.io wants ISO 639-1.
  const language = user?.language_code?.slice(0, 2).toLowerCase();
  if (language && /^[a-z]{2}$/.test(language)) contact.language = language;
  return contact;
}

export type InboundFile = { kind: 'image' | 'video' | 'audio' | 'file'; file: FileRef; caption?: string };

/** The file an inbound message carries, if any (the largest size of a photo). */
export function fileOf(message: TelegramMessage): InboundFile | undefined {
  const caption = message.caption;
  if (message.photo && message.photo.length > 0) {
    const largest = [...message.photo].sort((a, b) => a.width * a.height - b.width * b.height).at(-1)!;
    return { kind: 'image', file: largest, caption };
  }
  if (message.video) return { kind: 'video', file: message.video, caption };
  if (message.audio) return { kind: 'audio', file: message.audio, caption };
  if (message.voice) return { kind: 'audio', file: { mime_type: 'audio/ogg', ...message.voice }, caption };
  if (message.document) return { kind: 'file', file: message.document, caption };
  return undefined;
}

/** A text or location message, or `undefined` when the message is a file or not supported. */
export function plainMessageOf(message: TelegramMessage): Message | undefined {
  if (message.text) return { type: 'text', text: message.text };
  if (message.venue) {
    const { location, title, address } = message.venue;
    return {
      type: 'location',
      latitude: location.latitude,
      longitude: location.longitude,
      address: `${title}, ${address}`,
    };
  }
  if (message.location) return { type: 'location', ...message.location };
  return undefined;
}
