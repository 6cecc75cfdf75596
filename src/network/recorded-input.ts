// What the network delivers to a phone, as a network input in the platform's
// input contract (src/platform/inputs.ts; argument names as the platform's
// mms, browser and email apps read them). The phone and the mirror server
// build it with the same functions from the same bytes, so what the mirror
// records is exactly what the phone received (paper §3.3.1, §4.2). The
// delivery index is left to the sync engine's Traffic Monitor. Times are
// whole milliseconds of the network's clock, as the Traffic Monitor requires.
import { fromUtf8 } from "../core/bytes.ts";
import type { NetworkInput } from "../platform/inputs.ts";
import type { NodeId } from "./bus.ts";
import type { HttpResponse } from "./http-message.ts";
import type { ReceivedMessage } from "./messaging-agent.ts";

export type DeliveredInput = Omit<NetworkInput, "index">;

export interface RecordedInput {
  readonly deviceId: NodeId;
  readonly input: DeliveredInput;
}

const extensions: Record<string, string> = {
  "image/jpeg": "jpg",
  "image/png": "png",
  "video/3gpp": "3gp",
  "text/plain": "txt",
};

/** A path-segment-safe form of an identifier from the network. */
function segment(text: string): string {
  const cleaned = text.replace(/[^A-Za-z0-9._-]/g, "_").slice(0, 120);
  return cleaned === "" || cleaned === "." || cleaned === ".." ? "_" : cleaned;
}

export function mmsInput(message: ReceivedMessage, timeMs: number): DeliveredInput {
  const user = message.from.replace(/^sips?:/, "").split("@")[0] ?? "unknown";
  const extension = extensions[message.contentType] ?? "bin";
  return {
    timeMs: Math.floor(timeMs),
    app: "mms",
    kind: "mms",
    args: [`from=${segment(user)}`, `name=${segment(message.messageId)}.${extension}`],
    payload: message.data,
  };
}

export function webInput(url: string, response: HttpResponse, timeMs: number): DeliveredInput {
  const title = /<title>([^<]{0,200})<\/title>/i.exec(fromUtf8(response.body) ?? "")?.[1];
  return {
    timeMs: Math.floor(timeMs),
    app: "browser",
    kind: "http-response",
    args: title === undefined ? [`url=${url}`] : [`url=${url}`, `title=${title}`],
    payload: response.body,
  };
}

/** An RFC 5322 message; From and Subject become the email app's arguments. */
export function emailInput(message: Uint8Array, timeMs: number): DeliveredInput {
  const text = fromUtf8(message) ?? "";
  const head = text.split("\r\n\r\n")[0] ?? "";
  const field = (name: string) => new RegExp(`^${name}:[ \\t]*(.*)$`, "im").exec(head)?.[1]?.trim();
  const from = field("From") ?? "unknown";
  const subject = field("Subject");
  return {
    timeMs: Math.floor(timeMs),
    app: "email",
    kind: "email",
    args: subject === undefined ? [`from=${from}`] : [`from=${from}`, `subject=${subject}`],
    payload: message,
  };
}
