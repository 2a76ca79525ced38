export { KimClient } from "./client.js";
export type {
  ChatKind, ConnectionState, ConversationSummary, EditNotice, GroupEvent, GroupInfo, KimClientOptions, KimEvents, KimMessage, LoginInfo, NewGroup,
  ReadNotice, RecallNotice, SendOptions, SendResult, WebSocketConstructor, WebSocketLike,
} from "./client.js";
export { KimClientError, KimStatusError, KimTimeoutError } from "./errors.js";
export { LocalStorageAdapter, MemoryStorage } from "./storage.js";
export type { KimStorage, SavedPosition, WebStorageLike } from "./storage.js";
