// The browser (paper §4.2, Fig 8–9): the user opens a URL (volatile), the
// response arrives as a network input and lands in the page cache and on
// screen; bookmarks record the page on screen, downloads land in
// /sdcard/Download.
import type { App } from "../app-context.ts";
import { malformed } from "../args.ts";

const root = "/data/browser";

export const browserApp: App = {
  name: "browser",
  actions: {
    open: (ctx, args) => {
      ctx.setAppUi({ screen: "loading", scrollY: 0, fields: { url: args.required("url") } });
    },
    bookmark: (ctx) => {
      const { url, title } = ctx.appUi.fields;
      if (url === undefined) throw malformed("browser: no page open");
      ctx.write(`${root}/bookmarks/${ctx.keyOf(url)}.url`, `${url}\n${title ?? ""}\n${ctx.stampNow()}\n`);
    },
    "clear-cache": (ctx) => {
      if (ctx.exists(`${root}/cache`)) ctx.remove(`${root}/cache`);
    },
  },
  deliveries: {
    "http-response": (ctx, input, args) => {
      const url = args.required("url");
      const save = args.optional("save");
      if (save !== undefined) {
        ctx.write(`/sdcard/Download/${args.name("save")}`, input.payload);
        return;
      }
      ctx.write(`${root}/cache/${ctx.keyOf(url)}`, input.payload);
      ctx.setAppUi({ screen: "page", fields: { url, title: args.optional("title") ?? "" } });
    },
  },
};
