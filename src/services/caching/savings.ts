// What the caching service saves the phone (paper §5.1, Fig 11, 14, 15):
// radio bytes, radio time at the Table 1 rates, and battery from the
// calibrated energy model of src/model. Conservative on both sides:
// - without caching, N uploads are one transfer of N × size bytes (back-to-back
//   uploads would pay extra radio tails, so the real cost is higher);
// - with caching, the upload action is charged as its own radio wake-up
//   (promotion + tail), although it normally rides in a periodic sync batch
//   the phone sends anyway (then its marginal battery is close to zero).
// Downloads move the same bytes over the radio either way; caching lets the
// phone take them later on a better link or while charging.
import { assert } from "../../core/assert.ts";
import { utf8 } from "../../core/bytes.ts";
import {
  type BatteryModel,
  bulkTransferBattery,
  type NetworkKind,
  type RateSource,
  rateKbpsMid,
  transferTimeS,
} from "../../model/index.ts";
import { uploadActionBody } from "./cache-actions.ts";

export interface TransferCost {
  radioBytes: number;
  radioTimeS: number;
  batteryPct: number;
}

export interface UploadSavingsScenario {
  sizeBytes: number;
  recipients: number;
  network: NetworkKind;
  rateSource?: RateSource;
}

export interface UploadSavings {
  withoutCaching: TransferCost;
  withCaching: TransferCost;
  /** Uplink bytes of the fake upload action (the only thing the phone sends). */
  actionBytes: number;
}

/** Bytes of the upload action as text: an upper bound for the compact sync codec. */
export function uploadActionBytes(recipients: number): number {
  assert(recipients >= 1, "an upload needs a recipient");
  const addresses = Array.from({ length: recipients }, (_, i) => `+1814555${String(i).padStart(4, "0")}`);
  const body = uploadActionBody({
    path: "/sdcard/DCIM/clip-0001.mp4",
    route: "mirror",
    recipients: addresses,
  });
  assert(body.kind === "action", "upload body is an action");
  let bytes = utf8(body.name).length + 4; // app tag, kind, lengths
  for (const arg of body.args) bytes += utf8(arg).length + 1;
  return bytes;
}

function upload(
  model: BatteryModel,
  network: NetworkKind,
  bytes: number,
  rateSource: RateSource,
): TransferCost {
  const rateKbps = rateKbpsMid(network, "up", rateSource);
  const battery = bulkTransferBattery(model, { network, direction: "up", sizeBytes: bytes, rateSource });
  return { radioBytes: bytes, radioTimeS: transferTimeS(bytes, rateKbps), batteryPct: battery.batteryPct };
}

export function uploadSavings(model: BatteryModel, scenario: UploadSavingsScenario): UploadSavings {
  assert(scenario.sizeBytes >= 0 && scenario.recipients >= 1, "bad upload scenario");
  const rateSource = scenario.rateSource ?? "tested";
  const actionBytes = uploadActionBytes(scenario.recipients);
  const withoutCaching = upload(
    model,
    scenario.network,
    scenario.sizeBytes * scenario.recipients,
    rateSource,
  );
  const withCaching = upload(model, scenario.network, actionBytes, rateSource);
  return { withoutCaching, withCaching, actionBytes };
}

export interface DownloadScenario {
  sizeBytes: number;
  /** Where the phone is when the file arrives (e.g. weak EDGE signal). */
  nowNetwork: NetworkKind;
  /** Where the phone is when the user fetches the cached copy. */
  laterNetwork: NetworkKind;
  /** Fetching while charging costs the battery nothing. */
  laterCharging: boolean;
  rateSource?: RateSource;
}

export interface DownloadSavings {
  withoutCaching: TransferCost;
  withCaching: TransferCost;
}

function download(
  model: BatteryModel,
  network: NetworkKind,
  bytes: number,
  rateSource: RateSource,
): TransferCost {
  const rateKbps = rateKbpsMid(network, "down", rateSource);
  const battery = bulkTransferBattery(model, { network, direction: "down", sizeBytes: bytes, rateSource });
  return { radioBytes: bytes, radioTimeS: transferTimeS(bytes, rateKbps), batteryPct: battery.batteryPct };
}

export function downloadSavings(model: BatteryModel, scenario: DownloadScenario): DownloadSavings {
  assert(scenario.sizeBytes >= 0, "bad download size");
  const rateSource = scenario.rateSource ?? "tested";
  const withoutCaching = download(model, scenario.nowNetwork, scenario.sizeBytes, rateSource);
  const later = download(model, scenario.laterNetwork, scenario.sizeBytes, rateSource);
  const withCaching = scenario.laterCharging ? { ...later, batteryPct: 0 } : later;
  assert(withCaching.radioBytes === withoutCaching.radioBytes, "a download moves the same bytes either way");
  return { withoutCaching, withCaching };
}

export interface SavingsRow {
  sizeBytes: number;
  network: NetworkKind;
  recipients: number;
  upload: UploadSavings;
  /** The file arrives while on this network; fetched later on 3G (or charging). */
  download: DownloadSavings;
}

/** Sizes of the paper's Fig 11 sweep, plus its 20 MB file of Fig 14 and 15. */
export const paperSweepSizesBytes: readonly number[] = [
  100_000, 500_000, 1_000_000, 2_000_000, 5_000_000, 10_000_000, 20_000_000, 50_000_000,
];

export function savingsSweep(
  model: BatteryModel,
  options: {
    sizesBytes: readonly number[];
    networks: readonly NetworkKind[];
    recipients: number;
    rateSource?: RateSource;
  },
): SavingsRow[] {
  assert(options.sizesBytes.length <= 1000 && options.networks.length <= 2, "sweep too large");
  const rows: SavingsRow[] = [];
  for (const network of options.networks) {
    for (const sizeBytes of options.sizesBytes) {
      const rateSource = options.rateSource ?? "tested";
      rows.push({
        sizeBytes,
        network,
        recipients: options.recipients,
        upload: uploadSavings(model, { sizeBytes, recipients: options.recipients, network, rateSource }),
        download: downloadSavings(model, {
          sizeBytes,
          nowNetwork: network,
          laterNetwork: "3g",
          laterCharging: false,
          rateSource,
        }),
      });
    }
  }
  return rows;
}
