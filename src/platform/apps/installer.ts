// The package installer: a package arrives as a network input (a zip, the
// shape of an APK) and is unpacked into /apps/<name>/; an upgrade replaces the
// old tree. Archive bounds come from limits.ts; a bad archive is a typed error
// and installs nothing.
import { unzipSync } from "fflate";
import { ErrorCodes, MirrorcellError } from "../../core/errors.ts";
import { limits } from "../../core/limits.ts";
import type { App } from "../app-context.ts";
import { parsePath } from "../path.ts";

function unpack(payload: Uint8Array): [string, Uint8Array][] {
  let entries = 0;
  let bytes = 0;
  let files: Record<string, Uint8Array>;
  try {
    files = unzipSync(payload, {
      filter: (file) => {
        entries++;
        bytes += file.originalSize;
        if (
          entries > limits.packageEntriesMax ||
          file.originalSize > limits.fileBytesMax ||
          bytes > limits.networkPayloadBytesMax
        ) {
          throw new MirrorcellError(ErrorCodes.ARCHIVE_MALFORMED, "Package exceeds the archive bounds");
        }
        return !file.name.endsWith("/");
      },
    });
  } catch (error) {
    if (error instanceof MirrorcellError) throw error;
    throw new MirrorcellError(ErrorCodes.ARCHIVE_MALFORMED, `Package is not a valid zip: ${String(error)}`);
  }
  const out: [string, Uint8Array][] = [];
  for (const name of Object.keys(files).sort()) {
    if (!parsePath(`/${name}`).ok)
      throw new MirrorcellError(
        ErrorCodes.ARCHIVE_MALFORMED,
        `Bad entry name ${JSON.stringify(name.slice(0, 80))}`,
      );
    out.push([name, files[name]!]);
  }
  return out;
}

export const installerApp: App = {
  name: "installer",
  actions: {
    open: (ctx, args) => {
      ctx.setAppUi({ screen: `package:${args.name("name")}` });
    },
    uninstall: (ctx, args) => {
      const name = args.name("name");
      ctx.remove(`/apps/${name}`);
      ctx.remove(`/data/installer/${name}.meta`);
    },
  },
  deliveries: {
    package: (ctx, input, args) => {
      const name = args.name("name");
      const version = args.count("version");
      const files = unpack(input.payload);
      if (ctx.exists(`/apps/${name}`)) ctx.remove(`/apps/${name}`);
      ctx.mkdir(`/apps/${name}`);
      for (const [entry, bytes] of files) ctx.write(`/apps/${name}/${entry}`, bytes);
      ctx.write(
        `/data/installer/${name}.meta`,
        `version=${version}\nfiles=${files.length}\ninstalled=${input.timeMs}\n`,
      );
    },
  },
};
