/** The inspector: a local page showing both legs of every conversation, live. */
export type { ComposeInput, InspectorEmulator } from './compose.js';
export { buildCurl } from './curl.js';
export { History } from './history.js';
export { buildView } from './model.js';
export type { Bubble, Conversation, InspectorView, Note } from './model-types.js';
export {
  buildInspector,
  type Inspector,
  type InspectorHandle,
  type InspectorOptions,
  startInspector,
} from './server.js';
export type { Entry, InspectorInfo, ReplayRecord, ReplayRequest, SendOutcome } from './types.js';
