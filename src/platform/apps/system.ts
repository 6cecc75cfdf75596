// The "system" app: launcher, lock screen and settings. Its taps and keys
// change only volatile UI state; "set" writes a settings file; "boot" is the
// phone restarting after a crash (kill -9, battery pulled): it drops the
// volatile state at that point of the input order, on the mirror too, so a
// draft typed before the crash is not sent by the mirror after it.
import { ErrorCodes, MirrorcellError } from "../../core/errors.ts";
import type { App } from "../app-context.ts";
import { type AppName, appNames } from "../inputs.ts";
import { bootUi } from "../ui-state.ts";

function isAppName(value: string): value is AppName {
  return (appNames as readonly string[]).includes(value);
}

export const systemApp: App = {
  name: "system",
  actions: {
    open: (ctx, args) => {
      const app = args.required("app");
      if (!isAppName(app))
        throw new MirrorcellError(ErrorCodes.APP_UNKNOWN, `Unknown app ${JSON.stringify(app)}`);
      ctx.ui.foreground = app;
      ctx.ui.shadeOpen = false;
    },
    home: (ctx) => {
      ctx.ui.foreground = "system";
      ctx.setAppUi({ screen: "home" });
    },
    lock: (ctx) => {
      ctx.ui.locked = true;
    },
    unlock: (ctx) => {
      ctx.ui.locked = false;
    },
    boot: (ctx) => {
      const fresh = bootUi();
      ctx.ui.foreground = fresh.foreground;
      ctx.ui.locked = fresh.locked;
      ctx.ui.shadeOpen = fresh.shadeOpen;
      ctx.ui.apps = fresh.apps;
    },
    set: (ctx, args) => {
      ctx.write(`/data/system/settings/${args.name("name")}`, args.required("value"));
    },
  },
  deliveries: {},
};
