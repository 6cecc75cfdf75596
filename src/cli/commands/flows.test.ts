import assert from "node:assert/strict";
import { test } from "node:test";
import { flowNames } from "../../network/flows.ts";
import { flowNamesForHelp } from "./flows.ts";

test("cli: flows: the flows the help lists are the network model's flows", () => {
  assert.deepEqual([...flowNamesForHelp], [...flowNames]);
});
