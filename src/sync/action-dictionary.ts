// Static dictionary of app action names for the compact codec: a known name
// costs ~6 bits instead of its UTF-8 bytes. Unknown names fall back to a
// literal, so the dictionary may lag behind the apps without breaking sync.
// Append only: reordering changes the wire encoding (PROTOCOL_VERSION).
export const actionDictionary: readonly string[] = [
  "open",
  "home",
  "lock",
  "unlock",
  "set",
  "open-thread",
  "send",
  "read-thread",
  "delete-thread",
  "compose",
  "attach",
  "save-draft",
  "open-draft",
  "open-folder",
  "delete",
  "save",
  "bookmark",
  "clear-cache",
  "browse",
  "copy",
  "move",
  "mkdir",
  "uninstall",
  "shoot",
  "mode",
  "scan",
  "fetch",
  "dismiss",
  "upload",
  "close",
  "back",
  "reply",
  "forward",
  "download",
  "install",
  "rename",
  "search",
  "share",
  "view",
  "settings",
];

const indexByName = new Map(actionDictionary.map((name, index) => [name, index]));

export function actionIndex(name: string): number | undefined {
  return indexByName.get(name);
}
