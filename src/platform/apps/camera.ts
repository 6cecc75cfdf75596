// The camera: a photo is a recorded camera read (so, on the wire, an upload:
// DESIGN.md says the model must charge for it) plus a recorded orientation
// sensor read, stamped by the recorded clock.
import type { App } from "../app-context.ts";

const root = "/sdcard/DCIM/Camera";

export const cameraApp: App = {
  name: "camera",
  actions: {
    shoot: (ctx) => {
      const orientation = ctx.nondet.sensor("orientation");
      const photo = ctx.nondet.camera();
      const name = `IMG_${ctx.stampNow()}_${ctx.newId()}`;
      ctx.write(`${root}/${name}.jpg`, photo);
      const degrees = ((orientation[0] ?? 0) % 4) * 90;
      ctx.write(`${root}/.meta/${name}.json`, `{"orientation":${degrees},"bytes":${photo.length}}\n`);
    },
    mode: (ctx, args) => {
      ctx.setField("mode", args.required("value"));
    },
    delete: (ctx, args) => {
      const name = args.name("name");
      ctx.remove(`${root}/${name}`);
      const meta = `${root}/.meta/${name.replace(/\.jpg$/, "")}.json`;
      if (ctx.exists(meta)) ctx.remove(meta);
    },
  },
  deliveries: {},
};
