// The file manager: copy, move, delete and make directories in the user's
// shared storage (/sdcard) — app-private data stays out of its reach.
import { ErrorCodes, MirrorcellError } from "../../core/errors.ts";
import type { App } from "../app-context.ts";
import type { ActionArgs } from "../args.ts";

function userPath(args: ActionArgs, key: string): string {
  const path = args.required(key);
  if (!path.startsWith("/sdcard/")) {
    throw new MirrorcellError(
      ErrorCodes.PATH_INVALID,
      `files: ${key} must be under /sdcard/, got ${JSON.stringify(path.slice(0, 80))}`,
    );
  }
  return path;
}

export const filesApp: App = {
  name: "files",
  actions: {
    browse: (ctx, args) => {
      ctx.setAppUi({ screen: `dir:${userPath(args, "path")}`, scrollY: 0 });
    },
    copy: (ctx, args) => {
      ctx.copy(userPath(args, "from"), userPath(args, "to"));
    },
    move: (ctx, args) => {
      ctx.move(userPath(args, "from"), userPath(args, "to"));
    },
    delete: (ctx, args) => {
      ctx.remove(userPath(args, "path"));
    },
    mkdir: (ctx, args) => {
      ctx.mkdir(userPath(args, "path"));
    },
  },
  deliveries: {},
};
