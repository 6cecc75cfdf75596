import assert from "node:assert/strict";
import { test } from "node:test";
import { fetchCachedPolicies } from "../../live/caching/phone-caching.ts";
import { fetchCachedPoliciesForHelp } from "./live-phone-flags.ts";

test("cli: phone: the --fetch-cached policies the help lists are the phone's policies", () => {
  assert.deepEqual([...fetchCachedPoliciesForHelp], [...fetchCachedPolicies]);
});
