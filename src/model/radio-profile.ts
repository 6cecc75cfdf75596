// Radio state-machine parameters for 3G (UMTS RRC) and EDGE (paper §5.1.2,
// Fig 13–15: the battery cost of syncing and of bulk transfers is radio
// energy, dominated by promotions and inactivity tails, not by bytes).
//
// 3G values are the AT&T ("Carrier 1") state machine that Qian et al. inferred
// and measured: F. Qian, Z. Wang, A. Gerber, Z. M. Mao, S. Sen, O. Spatscheck,
// "Characterizing Radio Resource Allocation for 3G Networks", IMC 2010:
// IDLE→DCH promotion 2 s, FACH→DCH 1.5 s, DCH→FACH inactivity timer 5 s,
// FACH→IDLE 12 s; FACH→DCH when the RLC buffer exceeds 540 B up / 475 B
// down; radio power above idle: FACH 460 mW, DCH 800 mW, IDLE→DCH promotion
// 550 mW, FACH→DCH promotion 700 mW (HTC TyTn II). The paper's phone is the
// G1 on AT&T, the network Qian et al. probed.
//
// EDGE has no FACH-like middle state in this model: a transfer holds the
// radio active, then a tail follows. N. Balasubramanian, A. Balasubramanian,
// A. Venkataramani, "Energy Consumption in Mobile Phones: A Measurement Study
// and Implications for Network Applications", IMC 2009, report a GSM/EDGE
// tail of about 6 s (vs about 12.5 s for 3G). The 1 s EDGE promotion (TBF
// setup) is our assumption; neither paper measures it. EDGE powers are not
// taken from a paper: battery.ts calibrates them to the paper's own 20 MB
// upload figure.
//
// The cited figures were taken from the papers as published; the full texts
// were not at hand offline to re-check, so every value is a RadioProfile field
// that callers can replace, and only the calibrated model is tested against
// the paper.
import { assert } from "../core/assert.ts";
import type { NetworkKind } from "./paper.ts";

export interface RadioProfile {
  readonly network: NetworkKind;
  readonly promotionIdleToDchMs: number;
  readonly promotionFachToDchMs: number;
  readonly dchTailMs: number;
  /** 0: no FACH state; the radio goes from DCH straight to IDLE. */
  readonly fachTailMs: number;
  readonly promotionIdleToDchPowerMw: number;
  readonly promotionFachToDchPowerMw: number;
  readonly dchPowerMw: number;
  readonly fachPowerMw: number;
  /** A FACH transfer larger than this promotes to DCH. */
  readonly fachUplinkThresholdBytes: number;
  readonly fachDownlinkThresholdBytes: number;
  readonly dchUplinkKbps: number;
  readonly dchDownlinkKbps: number;
  readonly fachUplinkKbps: number;
  readonly fachDownlinkKbps: number;
}

/**
 * Qian et al. (IMC 2010), Carrier 1. DCH rates are Table 1's tested 3G rates;
 * FACH rates (a shared, slow channel) are our assumption, they only matter for
 * the few hundred bytes FACH is allowed to carry.
 */
export const umtsQian2010: RadioProfile = {
  network: "3g",
  promotionIdleToDchMs: 2_000,
  promotionFachToDchMs: 1_500,
  dchTailMs: 5_000,
  fachTailMs: 12_000,
  promotionIdleToDchPowerMw: 550,
  promotionFachToDchPowerMw: 700,
  dchPowerMw: 800,
  fachPowerMw: 460,
  fachUplinkThresholdBytes: 540,
  fachDownlinkThresholdBytes: 475,
  dchUplinkKbps: 708,
  dchDownlinkKbps: 1259,
  fachUplinkKbps: 16,
  fachDownlinkKbps: 32,
};

/**
 * EDGE: Table 1 tested midpoints, Balasubramanian et al.'s 6 s tail, and a
 * reference power of 1 W that battery.ts scales to the paper's measurement.
 */
export const edgeReference: RadioProfile = {
  network: "edge",
  promotionIdleToDchMs: 1_000,
  promotionFachToDchMs: 0,
  dchTailMs: 6_000,
  fachTailMs: 0,
  promotionIdleToDchPowerMw: 1_000,
  promotionFachToDchPowerMw: 0,
  dchPowerMw: 1_000,
  fachPowerMw: 0,
  fachUplinkThresholdBytes: 0,
  fachDownlinkThresholdBytes: 0,
  dchUplinkKbps: 150,
  dchDownlinkKbps: 180,
  fachUplinkKbps: 1,
  fachDownlinkKbps: 1,
};

/** The same state machine with every power multiplied by `factor`. */
export function scaleRadioPower(profile: RadioProfile, factor: number): RadioProfile {
  assert(Number.isFinite(factor) && factor > 0, `power scale must be positive: ${factor}`);
  const scaled = {
    ...profile,
    promotionIdleToDchPowerMw: profile.promotionIdleToDchPowerMw * factor,
    promotionFachToDchPowerMw: profile.promotionFachToDchPowerMw * factor,
    dchPowerMw: profile.dchPowerMw * factor,
    fachPowerMw: profile.fachPowerMw * factor,
  };
  assert(scaled.dchPowerMw >= scaled.fachPowerMw, "DCH must draw at least FACH's power");
  return scaled;
}

export function validateRadioProfile(profile: RadioProfile): void {
  const durations = [
    profile.promotionIdleToDchMs,
    profile.promotionFachToDchMs,
    profile.dchTailMs,
    profile.fachTailMs,
  ];
  assert(
    durations.every((d) => Number.isFinite(d) && d >= 0),
    "radio durations must be non-negative",
  );
  assert(profile.dchUplinkKbps > 0 && profile.dchDownlinkKbps > 0, "DCH rates must be positive");
  assert(profile.fachUplinkKbps > 0 && profile.fachDownlinkKbps > 0, "FACH rates must be positive");
  assert(profile.dchPowerMw >= 0 && profile.fachPowerMw >= 0, "powers must be non-negative");
}
