// Initial filter criteria (3GPP TS 29.228 style, reduced to what §4.1 needs):
// which SIP requests of a user the CSCF first routes to an application server.
// Subscribing a user to the mirror service is one terminating criterion in
// the user's HSS profile — configuration, not software.
import type { NodeId } from "./bus.ts";

export interface FilterCriterion {
  readonly priority: number;
  readonly sessionCase: "originating" | "terminating";
  readonly method: string;
  readonly applicationServer: NodeId;
}

/** The profile the HSS keeps per public identity and hands to the CSCF (Cx SAA). */
export interface SubscriberProfile {
  readonly aor: string;
  readonly phone: NodeId;
  readonly servingCscf: NodeId;
  readonly filters: readonly FilterCriterion[];
  /** Set when the user subscribed to the mirror service: the mirror server to use. */
  readonly mirrorServer?: NodeId;
}

export function formatFilter(filter: FilterCriterion): string {
  return `${filter.priority};${filter.sessionCase};${filter.method};sip:${filter.applicationServer}`;
}

export function parseFilter(value: string): FilterCriterion | undefined {
  const match = /^([0-9]{1,4});(originating|terminating);([A-Z]+);sip:([A-Za-z0-9.-]+)$/.exec(value);
  if (!match) return undefined;
  return {
    priority: Number(match[1]),
    sessionCase: match[2] as FilterCriterion["sessionCase"],
    method: match[3]!,
    applicationServer: match[4]!,
  };
}

/** The first matching criterion by priority whose server did not just send us the request. */
export function matchFilter(
  filters: readonly FilterCriterion[],
  sessionCase: FilterCriterion["sessionCase"],
  method: string,
  receivedFrom: NodeId,
): FilterCriterion | undefined {
  return [...filters]
    .sort((a, b) => a.priority - b.priority)
    .find(
      (f) => f.sessionCase === sessionCase && f.method === method && f.applicationServer !== receivedFrom,
    );
}
