// Live runtime adapters of the caching service (paper §5.1): HTTP outbox and
// fetcher, the timer-driven runtime, and loopback test servers.
export { attachCaching, type CachingAttachOptions, recipientUrlsUnder } from "./attach-caching.ts";
export { SqliteCacheJournal } from "./cache-journal.ts";
export { type CachingDurability, type LiveCachingOptions, LiveCachingRuntime } from "./caching-runtime.ts";
export { HttpFetcher, type HttpFetcherOptions } from "./http-fetcher.ts";
export { HttpOutbox, type HttpOutboxOptions } from "./http-outbox.ts";
export { NoticeJournal, noticeJournalIdBase } from "./notice-journal.ts";
export { fetchCachedThroughProxy, requestCacheThroughProxy } from "./phone-cache-client.ts";
export {
  type CachedNotice,
  type FetchCachedPolicy,
  fetchCachedPolicies,
  type PhoneCacheJournal,
  PhoneCaching,
  type PhoneCachingOptions,
  type PhoneCachingStats,
} from "./phone-caching.ts";
export { type ReceivedUpload, startTestRecipient, type TestRecipient } from "./test-recipient.ts";
export { startTestWebServer, type TestWebServer } from "./test-web-server.ts";
