// The CSCF (paper §4.1): the SIP server. P-, I- and S-CSCF are one proxy here
// (one node per home network; the paper draws one "CSCF" per side). It is a
// loose-routing, record-routing proxy (RFC 3261 §16) that finds the serving
// CSCF of a callee through the HSS (Cx Location-Info), downloads each user's
// profile (Cx Server-Assignment) and applies its initial filter criteria: the
// MMS application server for originating INVITEs, the mirror server for
// terminating INVITEs of mirror subscribers. Requests coming back from the
// application server a criterion names are not sent there again (what ODI
// tokens do in IMS). It also answers the SGSN's user-policy query.
import { assert } from "../core/assert.ts";
import { ErrorCodes, MirrorcellError } from "../core/errors.ts";
import type { NetworkNode, NodeContext, NodeId, Packet } from "./bus.ts";
import { type FilterCriterion, matchFilter, parseFilter } from "./filter-criteria.ts";
import { addressUri } from "./header-list.ts";
import { valueOrRecord } from "./peer-errors.ts";
import { avp, parseSignaling, type SignalingMessage, sendSignaling } from "./signaling.ts";
import {
  type SipMessage,
  type SipRequest,
  serializeSip,
  sipHeader,
  sipHeaders,
  sipLabel,
  sipResponseTo,
} from "./sip-message.ts";
import { parseSip } from "./sip-parser.ts";
import {
  addRecordRoute,
  decrementMaxForwards,
  popOwnRoute,
  pushVia,
  relayResponse,
  routeEntries,
  tagOf,
  topVia,
  uriAor,
  uriHost,
  viaHost,
  withRoutes,
} from "./sip-routing.ts";

export interface CscfOptions {
  id: NodeId;
  hss: NodeId;
  sgsn: NodeId;
  /** Registrar bindings, address of record → contact URI (REGISTER precedes Fig 6–9). */
  registrations: Readonly<Record<string, string>>;
  /** Hosts that are phones: reached through the SGSN. */
  phones: readonly NodeId[];
}

interface Profile {
  filters: FilterCriterion[];
  mirrorServer: NodeId | undefined;
}

const waitersMax = 1024;

export class Cscf implements NetworkNode {
  readonly role = "core" as const;
  readonly id: NodeId;
  readonly errors: MirrorcellError[] = [];
  private readonly profiles = new Map<string, Profile>();
  private readonly locations = new Map<string, NodeId>();
  private readonly waiters = new Map<string, Array<(context: NodeContext) => void>>();
  private branches = 0;

  constructor(private readonly options: CscfOptions) {
    this.id = options.id;
  }

  onPacket(packet: Packet, _from: NodeId, context: NodeContext): void {
    if (packet.protocol === "signaling") {
      this.onSignaling(packet, context);
      return;
    }
    assert(packet.protocol === "sip", `CSCF got ${packet.protocol}`);
    const message = valueOrRecord(parseSip(packet.bytes), this.errors);
    if (message === undefined) return;
    if (message.kind === "response") {
      relayResponse(message, this.id, (host, upstream) => this.sendSip(context, host, upstream));
      return;
    }
    const forwarded = decrementMaxForwards(message);
    if (forwarded?.kind !== "request") {
      const tooMany = sipResponseTo(message, 483, "Too Many Hops"); // RFC 3261 §16.3 step 3
      this.sendSip(context, viaHost(topVia(tooMany)), tooMany);
      return;
    }
    this.onRequest(forwarded, packet.src, context);
  }

  private onRequest(request: SipRequest, src: NodeId, context: NodeContext): void {
    const popped = popOwnRoute(request, this.id);
    const current = (popped?.message ?? request) as SipRequest;
    const originatingDone = popped?.params.includes(";orig") ?? false;
    const nextRoute = routeEntries(current)[0];
    if (nextRoute !== undefined) {
      this.forward(context, current, uriHost(addressUri(nextRoute)));
      return;
    }
    if (tagOf(sipHeader(current, "To")) !== undefined) {
      this.forward(context, current, uriHost(current.uri));
      return;
    }
    const fromAor = uriAor(addressUri(sipHeader(current, "From") ?? ""));
    const ownPhone = this.options.registrations[fromAor];
    if (!originatingDone && ownPhone !== undefined && uriHost(ownPhone) === src) {
      this.withProfile(fromAor, context, (profile, now) => {
        const filter = matchFilter(profile.filters, "originating", current.method, src);
        if (!filter) {
          this.routeToCallee(current, src, now);
          return;
        }
        const routes = [`<sip:${filter.applicationServer};lr>`, `<sip:${this.id};lr;orig>`];
        this.forward(
          now,
          { ...current, headers: withRoutes(current.headers, routes) },
          filter.applicationServer,
        );
      });
      return;
    }
    this.routeToCallee(current, src, context);
  }

  /** I-CSCF step: which CSCF serves the callee; terminating processing if it is us. */
  private routeToCallee(request: SipRequest, src: NodeId, context: NodeContext): void {
    const calleeAor = uriAor(request.uri);
    this.withLocation(calleeAor, context, (servingCscf, now) => {
      if (servingCscf !== this.id) {
        this.forward(now, request, servingCscf);
        return;
      }
      this.withProfile(calleeAor, now, (profile, later) => {
        const filter = matchFilter(profile.filters, "terminating", request.method, src);
        if (filter) {
          this.forward(later, request, filter.applicationServer);
          return;
        }
        const contact = this.options.registrations[calleeAor];
        if (contact === undefined) return; // not registered: 480 not modelled
        this.forward(later, { ...request, uri: contact }, uriHost(contact));
      });
    });
  }

  private forward(context: NodeContext, request: SipRequest, dst: NodeId): void {
    assert(dst !== this.id, "a proxy does not forward to itself");
    let out: SipMessage = pushVia(request, this.id, `z9hG4bK${this.id}.${++this.branches}`);
    const recordRouted = sipHeaders(out, "Record-Route").some((rr) => uriHost(addressUri(rr)) === this.id);
    if (request.method === "INVITE" && tagOf(sipHeader(request, "To")) === undefined && !recordRouted) {
      out = addRecordRoute(out, this.id);
    }
    assert(topVia(out).includes(this.id), "the forwarded request carries our Via on top");
    this.sendSip(context, dst, out);
  }

  private sendSip(context: NodeContext, dst: NodeId, message: SipMessage): void {
    const hop = this.options.phones.includes(dst) ? this.options.sgsn : dst;
    context.send(hop, {
      src: this.id,
      dst,
      protocol: "sip",
      bytes: serializeSip(message),
      label: sipLabel(message),
    });
  }

  /** Runs `then` with the user's profile, now or once the HSS answered (with the context of that moment). */
  private withProfile(
    aor: string,
    context: NodeContext,
    then: (profile: Profile, context: NodeContext) => void,
  ): void {
    const known = this.profiles.get(aor);
    if (known) {
      then(known, context);
      return;
    }
    this.wait(
      `profile ${aor}`,
      context,
      (now) => then(this.profiles.get(aor) ?? { filters: [], mirrorServer: undefined }, now),
      {
        command: "Server-Assignment-Request",
        avps: [
          { name: "User-Public-Identity", value: aor },
          { name: "Server-Name", value: this.id },
        ],
      },
    );
  }

  private withLocation(
    aor: string,
    context: NodeContext,
    then: (cscf: NodeId, context: NodeContext) => void,
  ): void {
    if (this.options.registrations[aor] !== undefined) {
      then(this.id, context);
      return; // registered here: we serve it
    }
    const known = this.locations.get(aor);
    if (known) {
      then(known, context);
      return;
    }
    this.wait(
      `location ${aor}`,
      context,
      (now) => {
        const cscf = this.locations.get(aor);
        if (cscf !== undefined) then(cscf, now); // unknown user: 404 not modelled
      },
      { command: "Location-Info-Request", avps: [{ name: "User-Public-Identity", value: aor }] },
    );
  }

  private wait(
    key: string,
    context: NodeContext,
    then: (context: NodeContext) => void,
    query: SignalingMessage,
  ): void {
    const list = this.waiters.get(key) ?? [];
    if (list.length >= waitersMax || (list.length === 0 && this.waiters.size >= waitersMax)) {
      // requests from peers pile up faster than the HSS answers: shed them (a 503 is not modelled)
      this.errors.push(
        new MirrorcellError(ErrorCodes.QUEUE_FULL, `too many requests waiting for the HSS (${key})`),
      );
      return;
    }
    list.push(then);
    this.waiters.set(key, list);
    if (list.length === 1) this.sendSignaling(context, this.options.hss, query);
  }

  private onSignaling(packet: Packet, context: NodeContext): void {
    const message = valueOrRecord(parseSignaling(packet.bytes), this.errors);
    if (message === undefined) return;
    const aor = avp(message, "User-Public-Identity") ?? "";
    if (message.command === "User-Policy-Request") {
      this.withProfile(aor, context, (profile, now) => {
        const avps = [{ name: "Subscriber", value: avp(message, "Subscriber") ?? "" }];
        if (profile.mirrorServer !== undefined)
          avps.push({ name: "Mirror-Server", value: profile.mirrorServer });
        this.sendSignaling(now, packet.src, { command: "User-Policy-Answer", avps });
      });
      return;
    }
    let key: string;
    if (message.command === "Server-Assignment-Answer") {
      key = `profile ${aor}`;
      if (avp(message, "Result-Code") === "2001") this.profiles.set(aor, profileFrom(message));
    } else if (message.command === "Location-Info-Answer") {
      key = `location ${aor}`;
      const server = avp(message, "Server-Name");
      if (server !== undefined) this.locations.set(aor, server);
    } else return;
    const list = this.waiters.get(key) ?? [];
    this.waiters.delete(key);
    for (const then of list) then(context);
  }

  private sendSignaling(context: NodeContext, to: NodeId, message: SignalingMessage): void {
    sendSignaling(context, this.id, to, message);
  }
}

function profileFrom(message: SignalingMessage): Profile {
  const filters: FilterCriterion[] = [];
  for (const { name, value } of message.avps) {
    if (name !== "Initial-Filter-Criteria") continue;
    const filter = parseFilter(value);
    if (filter) filters.push(filter);
  }
  return { filters, mirrorServer: avp(message, "Mirror-Server") };
}
