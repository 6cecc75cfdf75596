// Every app of the platform, by name (src/platform/inputs.ts appNames).
import type { App } from "../app-context.ts";
import type { AppName } from "../inputs.ts";
import { antivirusHookApp } from "./antivirus-hook.ts";
import { browserApp } from "./browser.ts";
import { cacheApp } from "./cache.ts";
import { cameraApp } from "./camera.ts";
import { emailApp } from "./email.ts";
import { filesApp } from "./files.ts";
import { installerApp } from "./installer.ts";
import { messagingApp } from "./messaging.ts";
import { mmsApp } from "./mms.ts";
import { systemApp } from "./system.ts";

export const apps: Readonly<Record<AppName, App>> = {
  system: systemApp,
  messaging: messagingApp,
  email: emailApp,
  mms: mmsApp,
  browser: browserApp,
  files: filesApp,
  installer: installerApp,
  camera: cameraApp,
  "antivirus-hook": antivirusHookApp,
  cache: cacheApp,
};
