// Services on the mirror server (paper §5): the service API and host, and the
// caching service. The antivirus service lives in ./antivirus.
export type {
  DeliveryResult,
  FetchedBody,
  Fetcher,
  FetchRequest,
  FetchResult,
  MirrorService,
  MirrorStorageView,
  NetworkDelivery,
  NetworkInputEvent,
  NoticeSink,
  OutboundMessage,
  Outbox,
  ReplayedInputEvent,
  ServicePorts,
  StepBudget,
  StepUsage,
} from "./api.ts";
export { type AttachOptions, attachServices } from "./attach.ts";
export * from "./caching/index.ts";
export { defaultStepBudget, type OutboxStats, ServiceHost, type StepStats } from "./service-host.ts";
