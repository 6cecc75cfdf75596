// The antivirus hook app (paper §5.2, Table 2): the phone only asks; the
// scan runs on the mirror's storage. The request is a real file, so the
// mirror sees it after replay; the verdict comes back as a network input.
import type { App } from "../app-context.ts";
import { malformed } from "../args.ts";

const root = "/data/antivirus";

export const antivirusHookApp: App = {
  name: "antivirus-hook",
  actions: {
    scan: (ctx, args) => {
      const path = args.optional("path") ?? "/";
      if (!path.startsWith("/")) throw malformed("antivirus-hook: path must be absolute");
      const id = ctx.newId();
      ctx.write(`${root}/requests/${id}.req`, `path=${path}\nrequested=${ctx.stampNow()}\n`);
    },
  },
  deliveries: {
    "scan-result": (ctx, input, args) => {
      const id = args.name("id");
      ctx.write(`${root}/results/${id}.txt`, input.payload);
      if (ctx.exists(`${root}/requests/${id}.req`)) ctx.remove(`${root}/requests/${id}.req`);
    },
  },
};
