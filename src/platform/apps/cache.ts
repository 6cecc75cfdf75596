// The caching service's phone side (paper §5.1): "file-cached" notices that
// the server sends after it downloaded a bulk file, the cached file itself
// when the phone fetches it, and faked bulk uploads that the mirror performs.
// Minimal on purpose: the caching service owns the policy.
import type { App } from "../app-context.ts";
import { malformed } from "../args.ts";

const root = "/data/cache";

export const cacheApp: App = {
  name: "cache",
  actions: {
    fetch: (ctx, args) => {
      const id = args.name("id");
      if (!ctx.exists(`${root}/notices/${id}.notice`)) throw malformed(`cache: no notice ${id}`);
      ctx.setField("fetching", id);
    },
    dismiss: (ctx, args) => {
      ctx.remove(`${root}/notices/${args.name("id")}.notice`);
    },
    upload: (ctx, args) => {
      const path = args.required("path");
      const stat = ctx.storage.stat(path);
      if (!stat.ok) throw stat.error;
      const id = ctx.newId();
      ctx.write(
        `${root}/uploads/${id}.req`,
        `path=${path}\nto=${args.required("to")}\nsize=${stat.value.size}\n`,
      );
    },
  },
  deliveries: {
    "file-cached": (ctx, input, args) => {
      const id = args.name("id");
      ctx.write(
        `${root}/notices/${id}.notice`,
        `name=${args.name("name")}\nsize=${args.count("size")}\nat=${input.timeMs}\n`,
      );
    },
    "cached-file": (ctx, input, args) => {
      const id = args.name("id");
      ctx.write(`/sdcard/Download/${args.name("name")}`, input.payload);
      if (ctx.exists(`${root}/notices/${id}.notice`)) ctx.remove(`${root}/notices/${id}.notice`);
      if (ctx.appUi.fields.fetching === id) ctx.setField("fetching", undefined);
    },
  },
};
