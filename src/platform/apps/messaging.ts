// SMS/IM threads (paper §4.2 names SMS/IM among the deterministic apps): one
// directory per peer, one file per message, so a new message is one small
// write and the Merkle update stays local to that thread.
import { assert } from "../../core/assert.ts";
import { slabBytes } from "../../core/byte-slab.ts";
import { utf8Into } from "../../core/bytes.ts";
import { ErrorCodes, MirrorcellError } from "../../core/errors.ts";
import { limits } from "../../core/limits.ts";
import { type App, type AppContext, stamp } from "../app-context.ts";
import { type ActionArgs, malformed } from "../args.ts";
import { utf8Length } from "../path.ts";

const root = "/data/messaging";

function peerOf(ctx: AppContext, args: ActionArgs): string {
  if (args.optional("peer") !== undefined) return args.name("peer");
  const peer = ctx.appUi.fields.peer;
  if (peer === undefined) throw malformed("messaging: no thread open and no peer= given");
  return peer;
}

export const messagingApp: App = {
  name: "messaging",
  actions: {
    "open-thread": (ctx, args) => {
      const peer = args.name("peer");
      ctx.setAppUi({ screen: `thread:${peer}`, draft: "", scrollY: 0, fields: { peer } });
    },
    send: (ctx, args) => {
      const peer = peerOf(ctx, args);
      const text = args.optional("text") ?? ctx.appUi.draft;
      if (text === "") throw malformed("messaging: empty message");
      const at = ctx.stampNow();
      const id = ctx.newId();
      ctx.write(`${root}/${peer}/${at}-${id}.msg`, `from: me\nto: ${peer}\ntime: ${at}\n\n${text}`);
      ctx.setAppUi({ draft: "" });
    },
    "read-thread": (ctx, args) => {
      // the unread marker depends on how many messages have arrived: this is
      // where the interleaving of network and user inputs shows in storage
      const peer = peerOf(ctx, args);
      const count = ctx.list(`${root}/${peer}`).filter((name) => name.endsWith(".msg")).length;
      ctx.write(`${root}/${peer}/.read`, `read ${count}\n`);
    },
    "delete-thread": (ctx, args) => {
      ctx.remove(`${root}/${args.name("peer")}`);
    },
  },
  deliveries: {
    sms: (ctx, input, args) => receive(ctx, input.timeMs, input.index, args.name("from"), input.payload),
    im: (ctx, input, args) => receive(ctx, input.timeMs, input.index, args.name("from"), input.payload),
  },
};

function receive(ctx: AppContext, timeMs: number, index: number, from: string, text: Uint8Array): void {
  if (text.length > limits.userPayloadBytesMax) {
    throw new MirrorcellError(
      ErrorCodes.PAYLOAD_TOO_LARGE,
      `messaging: message of ${text.length} bytes exceeds ${limits.userPayloadBytesMax}`,
    );
  }
  // the head is encoded straight into the body, a slab view (core/byte-slab.ts) when small
  const head = `from: ${from}\nto: me\ntime: ${stamp(timeMs)}\n\n`;
  const headBytes = utf8Length(head);
  assert(headBytes >= head.length, "messaging: a peer name is valid UTF-8 (args.name)");
  const body = slabBytes(headBytes + text.length);
  if (utf8Into(head, body) !== headBytes) assert(false, "messaging: head length");
  body.set(text, headBytes);
  ctx.write(`${root}/${from}/${stamp(timeMs)}-n${index}.msg`, body);
}
