export { KimClient } from "./client.js";
export type {
  ChatKind, ConnectionState, ConversationSummary, EditNotice, GroupEvent, GroupInfo, JoinPolicy, KimClientOptions, KimEvents,
  KimMessage, LoginInfo, NewGroup, ReadNotice, RecallNotice, SendOptions, SendResult, WebSocketConstructor,
  WebSocketLike, FetchLike,
} from "./client.js";
export { KimClientError, KimStatusError, KimTimeoutError } from "./errors.js";
export { LocalStorageAdapter, MemoryStorage } from "./storage.js";
export type { KimStorage, SavedPosition, WebStorageLike } from "./storage.js";
