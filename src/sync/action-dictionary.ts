// Static dictionary of app action names for the compact codec: a known name
// costs ~6 bits instead of its UTF-8 bytes. Unknown names fall back to a
// literal, so the dictionary may lag behind the apps without breaking sync.
// Append only: reordering changes the wire encoding (PROTOCOL_VERSION).
export const actionDictionary: readonly string[] = [
  "open",
  "close",
  "back",
  "home",
  "scroll",
  "type",
  "compose",
  "save-draft",
  "send",
  "delete",
  "reply",
  "forward",
  "read",
  "archive",
  "attach",
  "open-thread",
  "new-thread",
  "open-url",
  "navigate",
  "bookmark",
  "download",
  "copy",
  "move",
  "rename",
  "mkdir",
  "install",
  "uninstall",
  "capture",
  "take-photo",
  "scan",
  "scan-request",
  "fetch",
  "fetch-cached",
  "settings",
  "set",
  "search",
  "view",
  "play",
  "share",
  "upload",
];

const indexByName = new Map(actionDictionary.map((name, index) => [name, index]));

export function actionIndex(name: string): number | undefined {
  return indexByName.get(name);
}
