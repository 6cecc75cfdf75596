// The HSS (paper §4.1): the central store of subscriber profiles. It answers
// the CSCF's Cx queries (where is this user served, what is the user's
// profile with its filter criteria) and pushes profile changes to the SGSN
// (Insert-Subscriber-Data), which is how the SGSN learns who has the mirror
// service. Subscribing a user = editing the profile here.
import { assert } from "../core/assert.ts";
import type { MirrorcellError } from "../core/errors.ts";
import type { NetworkNode, NodeContext, NodeId, Packet } from "./bus.ts";
import { formatFilter, type SubscriberProfile } from "./filter-criteria.ts";
import type { Header } from "./header-list.ts";
import { valueOrRecord } from "./peer-errors.ts";
import { avp, parseSignaling, type SignalingMessage, sendSignaling } from "./signaling.ts";

export class Hss implements NetworkNode {
  readonly role = "core" as const;
  readonly errors: MirrorcellError[] = [];
  private readonly profiles = new Map<string, SubscriberProfile>();

  constructor(
    readonly id: NodeId,
    private readonly sgsn: NodeId,
    profiles: readonly SubscriberProfile[],
  ) {
    for (const profile of profiles) this.profiles.set(profile.aor, profile);
    assert(this.profiles.size === profiles.length, "duplicate subscriber profile");
  }

  /** Pushes the mirror-service profiles to the SGSN (the paper's periodic HSS→SGSN update). */
  pushMirrorProfiles(context: NodeContext): void {
    for (const profile of this.profiles.values()) {
      if (profile.mirrorServer === undefined) continue;
      this.send(context, this.sgsn, {
        command: "Insert-Subscriber-Data-Request",
        avps: [
          { name: "Subscriber", value: profile.phone },
          { name: "User-Public-Identity", value: profile.aor },
          { name: "Serving-CSCF", value: profile.servingCscf },
          { name: "Mirror-Service", value: "enabled" },
        ],
      });
    }
  }

  onPacket(packet: Packet, _from: NodeId, context: NodeContext): void {
    const message = valueOrRecord(parseSignaling(packet.bytes), this.errors);
    if (message === undefined) return;
    const profile = this.profiles.get(avp(message, "User-Public-Identity") ?? "");
    const result: Header = { name: "Result-Code", value: profile ? "2001" : "5001" };
    if (message.command === "Location-Info-Request") {
      const avps = profile ? [result, { name: "Server-Name", value: profile.servingCscf }] : [result];
      this.send(context, packet.src, {
        command: "Location-Info-Answer",
        avps: [...avps, ...identity(message)],
      });
    } else if (message.command === "Server-Assignment-Request") {
      this.send(context, packet.src, {
        command: "Server-Assignment-Answer",
        avps: [result, ...identity(message), ...(profile ? profileAvps(profile) : [])],
      });
    }
  }

  private send(context: NodeContext, to: NodeId, message: SignalingMessage): void {
    sendSignaling(context, this.id, to, message);
  }
}

function identity(message: SignalingMessage): Header[] {
  return [{ name: "User-Public-Identity", value: avp(message, "User-Public-Identity") ?? "" }];
}

function profileAvps(profile: SubscriberProfile): Header[] {
  const avps: Header[] = [];
  for (const filter of profile.filters)
    avps.push({ name: "Initial-Filter-Criteria", value: formatFilter(filter) });
  if (profile.mirrorServer !== undefined) avps.push({ name: "Mirror-Server", value: profile.mirrorServer });
  return avps;
}
