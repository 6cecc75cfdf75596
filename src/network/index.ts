// UMTS network design and message flows (paper §4, Fig 5–9): sans-IO nodes on
// a deterministic bus, bounded incremental parsers for SIP, MSRP, HTTP/1.1
// and POP3, the flows with and without the mirror service, and what the
// mirror server records as the phones' network inputs.
export {
  type LinkKind,
  type LinkProfile,
  NetworkBus,
  type NetworkNode,
  type NetworkProfile,
  type NodeContext,
  type NodeId,
  type Packet,
  type Protocol,
  type TraceEntry,
  type TraceNote,
} from "./bus.ts";
export { Cscf, type CscfOptions } from "./cscf.ts";
export {
  type FilterCriterion,
  formatFilter,
  matchFilter,
  parseFilter,
  type SubscriberProfile,
} from "./filter-criteria.ts";
export { type FlowDocument, flowDocuments } from "./flow-docs.ts";
export {
  buildFlowNetwork,
  defaultContentBytes,
  defaultMsrpChunkBytes,
  type FlowName,
  type FlowOptions,
  type FlowResult,
  flowNames,
  flowStartMs,
  participantNames,
  receiverOf,
  runFlow,
} from "./flows.ts";
export { Ggsn } from "./ggsn.ts";
export { type Header, headerValue, headerValues, splitHeaderList } from "./header-list.ts";
export { Hss } from "./hss.ts";
export {
  type HttpMessage,
  type HttpRequest,
  type HttpResponse,
  httpLabel,
  serializeHttp,
} from "./http-message.ts";
export { HttpParser, parseHttp } from "./http-parser.ts";
export { MailServer } from "./mail-server.ts";
export { MessagingAgent, type OutgoingMessage, type ReceivedMessage } from "./messaging-agent.ts";
export { MirrorApplicationServer, type MirrorServerOptions } from "./mirror-application-server.ts";
export { MmsApplicationServer } from "./mms-application-server.ts";
export { chunkMessage, type MsrpComplete, MsrpReassembler } from "./msrp-chunks.ts";
export {
  type ByteRange,
  formatByteRange,
  type MsrpContinuation,
  type MsrpMessage,
  type MsrpRequest,
  type MsrpResponse,
  msrpLabel,
  parseByteRange,
  serializeMsrp,
} from "./msrp-message.ts";
export { MsrpParser, parseMsrp } from "./msrp-parser.ts";
export { measureOverhead, type OverheadRow, renderOverheadMarkdown } from "./overhead.ts";
export { Phone, type PhoneOptions } from "./phone.ts";
export {
  type Pop3Command,
  type Pop3Response,
  Pop3ResponseParser,
  parsePop3Command,
  serializePop3Command,
  serializePop3Response,
} from "./pop3.ts";
export { edge, type NetworkProfileName, networkProfiles, umts3g } from "./profiles.ts";
export { type DeliveredInput, emailInput, mmsInput, type RecordedInput, webInput } from "./recorded-input.ts";
export { Sgsn, type SgsnOptions } from "./sgsn.ts";
export { parseSignaling, type SignalingMessage, serializeSignaling } from "./signaling.ts";
export {
  canonicalSipHeaderName,
  type SipMessage,
  type SipRequest,
  type SipResponse,
  serializeSip,
  sipLabel,
  sipResponseTo,
} from "./sip-message.ts";
export { parseSip, SipParser } from "./sip-parser.ts";
export { flowJson, renderMermaid, renderText, summaryLine } from "./trace-render.ts";
export { WebServer } from "./web-server.ts";
