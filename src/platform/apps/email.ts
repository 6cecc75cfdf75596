// Email (paper §4.2, Fig 8–9): inbox, drafts, sent, attachments. The message
// being composed lives in RAM until "save-draft" or "send" writes it; sent
// attachments are copies of existing files, which storage dedupes.
import { ErrorCodes, MirrorcellError } from "../../core/errors.ts";
import { limits } from "../../core/limits.ts";
import { type App, type AppContext, stamp } from "../app-context.ts";
import { malformed } from "../args.ts";
import { checkName } from "../path.ts";

const root = "/data/email";

function composing(ctx: AppContext): { to: string; subject: string } {
  const { to, subject } = ctx.appUi.fields;
  if (ctx.appUi.screen !== "compose" || to === undefined) throw malformed("email: not composing a message");
  return { to, subject: subject ?? "" };
}

function attachmentsOf(ctx: AppContext): string[] {
  const list = ctx.appUi.fields.attachments;
  return list === undefined || list === "" ? [] : list.split("\n");
}

function message(from: string, to: string, subject: string, at: string, body: string): string {
  return `From: ${from}\nTo: ${to}\nSubject: ${subject}\nDate: ${at}\n\n${body}`;
}

export const emailApp: App = {
  name: "email",
  actions: {
    compose: (ctx, args) => {
      const to = args.required("to");
      ctx.setAppUi({ screen: "compose", draft: "", fields: { to, subject: args.optional("subject") ?? "" } });
    },
    attach: (ctx, args) => {
      const path = args.required("path");
      composing(ctx);
      const stat = ctx.storage.stat(path);
      if (!stat.ok) throw stat.error;
      if (stat.value.kind !== "file") throw new MirrorcellError(ErrorCodes.NOT_A_FILE, `Not a file: ${path}`);
      const attachments = attachmentsOf(ctx);
      if (attachments.length >= limits.uiAttachmentsMax) throw malformed("email: too many attachments");
      ctx.setField("attachments", [...attachments, path].join("\n"));
    },
    "save-draft": (ctx) => {
      const { to, subject } = composing(ctx);
      const id = ctx.appUi.fields.draftId ?? ctx.newId();
      ctx.write(`${root}/drafts/${id}.eml`, message("me", to, subject, ctx.stampNow(), ctx.appUi.draft));
      ctx.setField("draftId", id);
    },
    "open-draft": (ctx, args) => {
      const id = args.name("id");
      const text = ctx.readText(`${root}/drafts/${id}.eml`);
      const [head = "", body = ""] = text.split("\n\n", 2);
      const to = /^To: (.*)$/m.exec(head)?.[1] ?? "";
      const subject = /^Subject: (.*)$/m.exec(head)?.[1] ?? "";
      ctx.setAppUi({ screen: "compose", draft: body, fields: { to, subject, draftId: id } });
    },
    send: (ctx) => {
      const { to, subject } = composing(ctx);
      const at = ctx.stampNow();
      const dir = `${root}/sent/${at}-${ctx.newId()}`;
      ctx.write(`${dir}/message.eml`, message("me", to, subject, at, ctx.appUi.draft));
      attachmentsOf(ctx).forEach((path, i) => {
        ctx.copy(path, `${dir}/${i + 1}-${path.slice(path.lastIndexOf("/") + 1)}`);
      });
      const draftId = ctx.appUi.fields.draftId;
      if (draftId !== undefined && ctx.exists(`${root}/drafts/${draftId}.eml`))
        ctx.remove(`${root}/drafts/${draftId}.eml`);
      ctx.setAppUi({ screen: "main", draft: "", fields: {} });
    },
    "open-folder": (ctx, args) => {
      ctx.setAppUi({ screen: `folder:${args.name("folder")}`, scrollY: 0 });
    },
    delete: (ctx, args) => {
      ctx.remove(`${root}/${args.name("folder")}/${args.name("name")}`);
    },
  },
  deliveries: {
    email: (ctx, input, args) => {
      const from = args.required("from");
      const subject = args.optional("subject") ?? "";
      const parts = splitParts(args.optional("parts"), input.payload);
      const dir = `${root}/inbox/${stamp(input.timeMs)}-${input.index}`;
      ctx.write(
        `${dir}/message.eml`,
        `From: ${from}\nTo: me\nSubject: ${subject}\nDate: ${stamp(input.timeMs)}\n\n`,
      );
      for (const part of parts) ctx.write(`${dir}/${part.name}`, part.bytes);
    },
  },
};

/** "name:size,name:size" over a payload that concatenates the parts in order. */
function splitParts(spec: string | undefined, payload: Uint8Array): { name: string; bytes: Uint8Array }[] {
  if (spec === undefined) return [{ name: "body.txt", bytes: payload }];
  const items = spec.split(",");
  if (items.length > limits.uiAttachmentsMax + 1) throw malformed(`email: ${items.length} parts`);
  const parts: { name: string; bytes: Uint8Array }[] = [];
  let offset = 0;
  for (const item of items) {
    const colon = item.lastIndexOf(":");
    const name = item.slice(0, colon);
    const size = item.slice(colon + 1);
    if (colon <= 0 || !checkName(name).ok || name === "message.eml" || !/^\d{1,10}$/.test(size)) {
      throw malformed(`email: bad part ${JSON.stringify(item.slice(0, 60))}`);
    }
    const end = offset + Number(size);
    if (end > payload.length) throw malformed("email: parts exceed the payload");
    parts.push({ name, bytes: payload.subarray(offset, end) });
    offset = end;
  }
  if (offset !== payload.length) throw malformed("email: parts do not cover the payload");
  return parts;
}
