/** `send`'s choices without zod, so `--help` lists them without loading the schemas. */
export const sendTypes = [
  'text',
  'image',
  'video',
  'audio',
  'file',
  'location',
  'quick_reply',
  'custom_payload',
] as const;
export type SendType = (typeof sendTypes)[number];
