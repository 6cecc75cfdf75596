// MMS (paper §4.2, Fig 6–7): media delivered by the network, stored per
// sender; the user can save a copy to Pictures or delete it.
import { type App, stamp } from "../app-context.ts";

const root = "/data/mms";

export const mmsApp: App = {
  name: "mms",
  actions: {
    open: (ctx, args) => {
      ctx.setAppUi({ screen: `from:${args.name("from")}`, scrollY: 0 });
    },
    save: (ctx, args) => {
      const name = args.name("name");
      ctx.copy(`${root}/${args.name("from")}/${name}`, `/sdcard/Pictures/${name}`);
    },
    delete: (ctx, args) => {
      ctx.remove(`${root}/${args.name("from")}/${args.name("name")}`);
    },
  },
  deliveries: {
    mms: (ctx, input, args) => {
      const from = args.name("from");
      ctx.write(`${root}/${from}/${stamp(input.timeMs)}-${input.index}-${args.name("name")}`, input.payload);
    },
  },
};
