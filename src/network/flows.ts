// The paper's example flows (§4.2, Fig 6–9, plus email) on one UMTS network:
// two phones on one SGSN, a CSCF per phone's home, HSS, GGSN, the MMS AS,
// the mirror server, and a web and a mail server on the Internet. The mirror
// service is switched on by configuration only: a terminating filter
// criterion and a mirror server in the subscriber's HSS profile, which the
// HSS pushes to the SGSN. Same options ⇒ same trace, byte for byte.

import { assert } from "../core/assert.ts";
import { SeededRng } from "../core/rng.ts";
import {
  type LinkKind,
  NetworkBus,
  type NodeId,
  type Packet,
  type TraceEntry,
  type TraceNote,
} from "./bus.ts";
import { Cscf } from "./cscf.ts";
import type { SubscriberProfile } from "./filter-criteria.ts";
import { type FlowContent, flowContent } from "./flow-content.ts";
import { type FlowName, flowNames } from "./flow-names.ts";
import { Ggsn } from "./ggsn.ts";
import { Hss } from "./hss.ts";
import { MailServer } from "./mail-server.ts";
import { MirrorApplicationServer } from "./mirror-application-server.ts";
import { MmsApplicationServer } from "./mms-application-server.ts";
import { Phone } from "./phone.ts";
import { type NetworkProfileName, networkProfiles } from "./profiles.ts";
import type { DeliveredInput, RecordedInput } from "./recorded-input.ts";
import { Sgsn } from "./sgsn.ts";
import { WebServer } from "./web-server.ts";

export { type FlowName, flowNames };

export interface FlowOptions {
  /** The flow's receiving phone subscribes to the mirror service. */
  mirror: boolean;
  network?: NetworkProfileName;
  seed?: number;
  /** MMS media, web page or email size in bytes. */
  contentBytes?: number;
  msrpChunkBytes?: number;
  /** The other phone (not the receiver) subscribes: the receiver's flow must not change. */
  bystanderSubscribes?: boolean;
  /** How often the user repeats the action, `roundIntervalMs` apart (later rounds find caches warm). */
  rounds?: number;
  /** Keep every packet's bytes in `wire` (memory: every hop's copy). */
  captureWire?: boolean;
  /** Gets each mirror record as it is made (how a runtime feeds the Traffic Monitor). */
  onRecord?: (record: RecordedInput) => void;
}

export interface FlowResult {
  flow: FlowName;
  mirror: boolean;
  network: NetworkProfileName;
  receiver: NodeId;
  startMs: number;
  /** When the receiving phone had the content; undefined if it never arrived. */
  deliveredMs: number | undefined;
  /** Per round: milliseconds from the user's action to the content on the receiving phone. */
  latenciesMs: number[];
  trace: TraceEntry[];
  notes: TraceNote[];
  /** Packets as delivered, when `captureWire` was set; empty otherwise. */
  wire: Packet[];
  recorded: RecordedInput[];
  received: DeliveredInput[];
  bytesByLink: Record<LinkKind, number>;
  errors: string[];
}

export const flowStartMs = 100;
export const roundIntervalMs = 10_000;
const roundsMax = 100;
export const defaultContentBytes: Record<FlowName, number> = { mms: 100_000, web: 40_000, email: 20_000 };
export const defaultMsrpChunkBytes = 64 * 1024;

export const participantNames: Record<string, string> = {
  mobile1: "Mobile #1",
  mobile2: "Mobile #2",
  sgsn: "SGSN",
  ggsn: "GGSN",
  hss: "HSS",
  cscf1: "CSCF 1",
  cscf2: "CSCF 2",
  "mms-as": "MMS AS",
  mirror: "Mirror server",
  web: "Web server",
  mail: "Mail server",
};

const users = [
  { user: "alice", phone: "mobile1", cscf: "cscf1" },
  { user: "bob", phone: "mobile2", cscf: "cscf2" },
] as const;

/** Mobile #2 receives the MMS (Fig 6–7); Mobile #1 browses and reads mail (Fig 8–9). */
export function receiverOf(flow: FlowName): NodeId {
  return flow === "mms" ? "mobile2" : "mobile1";
}

function profiles(subscribers: ReadonlySet<NodeId>): SubscriberProfile[] {
  return users.map(({ user, phone, cscf }) => {
    const subscribed = subscribers.has(phone);
    return {
      aor: `sip:${user}@ims.example`,
      phone,
      servingCscf: cscf,
      filters: [
        { priority: 1, sessionCase: "originating" as const, method: "INVITE", applicationServer: "mms-as" },
        ...(subscribed
          ? [
              {
                priority: 0,
                sessionCase: "terminating" as const,
                method: "INVITE",
                applicationServer: "mirror",
              },
            ]
          : []),
      ],
      ...(subscribed ? { mirrorServer: "mirror" } : {}),
    };
  });
}

/** The UMTS network of the flows; `subscribers` are the phones with the mirror service. */
export function buildFlowNetwork(
  subscribers: ReadonlySet<NodeId>,
  content: FlowContent,
  options: {
    network: NetworkProfileName;
    chunkBytes: number;
    captureWire: boolean;
    onRecord?: (record: RecordedInput) => void;
  },
) {
  const bus = new NetworkBus(networkProfiles[options.network], { captureWire: options.captureWire });
  const chunkBytes = options.chunkBytes;
  const phoneIds = users.map((u) => u.phone);
  const internetHosts = ["web", "mail"];
  const phones = users.map(({ user, phone, cscf }) =>
    bus.add(new Phone({ id: phone, user, aor: `sip:${user}@ims.example`, sgsn: "sgsn", cscf, chunkBytes })),
  );
  const hss = new Hss("hss", "sgsn", profiles(subscribers));
  const cscfs = users.map(
    ({ user, phone, cscf }) =>
      new Cscf({
        id: cscf,
        hss: "hss",
        sgsn: "sgsn",
        phones: phoneIds,
        registrations: { [`sip:${user}@ims.example`]: `sip:${user}@${phone}` },
      }),
  );
  const subscriberMap = Object.fromEntries(
    users.map((u) => [`sip:${u.user}@ims.example`, { phone: u.phone, cscf: u.cscf }]),
  );
  const mirror = new MirrorApplicationServer({
    id: "mirror",
    sgsn: "sgsn",
    phones: phoneIds,
    subscribers: subscriberMap,
    chunkBytes,
    ...(options.onRecord ? { onRecord: options.onRecord } : {}),
  });
  const others = [
    new Sgsn({ id: "sgsn", ggsn: "ggsn", phones: phoneIds, internetHosts }),
    hss,
    ...cscfs,
    new MmsApplicationServer("mms-as"),
    mirror,
    new WebServer("web", new Map([[content.path, { contentType: content.contentType, body: content.data }]])),
    new MailServer("mail", [content.data]),
  ];
  for (const node of others) bus.add(node);
  bus.add(new Ggsn("ggsn", "sgsn", internetHosts));
  assert(phones.length === 2 && bus.node("mirror") === mirror, "flow network incomplete");
  return { bus, phones, hss, mirror, nodes: [...phones, ...others] };
}

export function runFlow(flow: FlowName, options: FlowOptions): FlowResult {
  const receiver = receiverOf(flow);
  const other = receiver === "mobile1" ? "mobile2" : "mobile1";
  const subscribers = new Set<NodeId>();
  if (options.mirror) subscribers.add(receiver);
  if (options.bystanderSubscribes) subscribers.add(other);
  const content = flowContent(
    flow,
    new SeededRng(options.seed ?? 1),
    options.contentBytes ?? defaultContentBytes[flow],
  );
  const network = options.network ?? "3g";
  const { bus, phones, hss, mirror, nodes } = buildFlowNetwork(subscribers, content, {
    network,
    chunkBytes: options.msrpChunkBytes ?? defaultMsrpChunkBytes,
    captureWire: options.captureWire ?? false,
    ...(options.onRecord ? { onRecord: options.onRecord } : {}),
  });
  if (subscribers.size > 0) bus.schedule(0, "hss", (context) => hss.pushMirrorProfiles(context));
  const [alice] = phones;
  assert(alice !== undefined, "no phones");
  const rounds = options.rounds ?? 1;
  assert(
    Number.isSafeInteger(rounds) && rounds >= 1 && rounds <= roundsMax,
    `rounds must be 1..${roundsMax}`,
  );
  for (let round = 0; round < rounds; round++) {
    const messageId = `mms${String(round + 1).padStart(4, "0")}`;
    bus.schedule(flowStartMs + round * roundIntervalMs, "mobile1", (context) => {
      if (flow === "mms") {
        alice.sendMms(context, {
          to: "sip:bob@ims.example",
          messageId,
          contentType: content.contentType,
          data: content.data,
        });
      } else if (flow === "web") alice.browse(context, "web", content.path);
      else alice.fetchMail(context, "mail", 1);
    });
  }
  bus.run();

  const target = phones.find((p) => p.id === receiver)!;
  const errors = nodes.flatMap((node) =>
    node.errors.map((error) => `${node.id}: ${error.code}: ${error.message}`),
  );
  return {
    flow,
    mirror: options.mirror,
    network,
    receiver,
    startMs: flowStartMs,
    deliveredMs: target.received[0]?.timeMs,
    latenciesMs: target.received.map(
      (input, round) => input.timeMs - (flowStartMs + round * roundIntervalMs),
    ),
    trace: bus.trace,
    notes: bus.notes,
    wire: bus.wire,
    recorded: mirror.recorded,
    received: target.received,
    bytesByLink: { ...bus.bytesByLink },
    errors,
  };
}
