import assert from "node:assert/strict";
import { test } from "node:test";
import { ErrorCodes, MirrorcellError } from "../core/errors.ts";
import { ActionArgs } from "./args.ts";

function refused(fn: () => unknown, text: string): void {
  assert.throws(fn, (error: unknown) => {
    assert.ok(error instanceof MirrorcellError);
    assert.equal(error.code, ErrorCodes.INPUT_MALFORMED);
    assert.ok(error.message.includes(text), `${error.message} lacks ${text}`);
    return true;
  });
}

test("args: key=value pairs are looked up by key; a value may hold '=' and be empty", () => {
  const args = ActionArgs.parse(["peer=bob", "text=a=b", "empty=", "n=42"], "messaging", "send");
  assert.equal(args.optional("peer"), "bob");
  assert.equal(args.optional("text"), "a=b");
  assert.equal(args.optional("empty"), "");
  assert.equal(args.optional("missing"), undefined);
  assert.equal(args.name("peer"), "bob");
  assert.equal(args.count("n"), 42);
});

test("args: malformed and duplicate arguments are refused with the app and action named", () => {
  refused(() => ActionArgs.parse(["noequals"], "email", "compose"), "email/compose: argument");
  refused(() => ActionArgs.parse(["=v"], "email", "compose"), "is not key=value");
  refused(
    () => ActionArgs.parse(["a=1", "b=2", "a=3"], "files", "copy"),
    "files/copy: argument a given twice",
  );
  const args = ActionArgs.parse(["empty=", "bad=../x", "n=x1"], "browser", "open");
  refused(() => args.required("empty"), "browser/open: missing argument empty");
  refused(() => args.required("absent"), "missing argument absent");
  refused(() => args.name("bad"), "browser/open: argument bad");
  refused(() => args.count("n"), "is not a count");
});
