import assert from "node:assert/strict";
import { test } from "node:test";
import { utf8 } from "../core/bytes.ts";
import { ErrorCodes } from "../core/errors.ts";
import { parseSignaling, serializeSignaling } from "./signaling.ts";

test("signaling: Cx and SGSN commands round-trip; unknown commands are rejected", () => {
  const message = {
    command: "Server-Assignment-Answer" as const,
    avps: [
      { name: "Result-Code", value: "2001" },
      { name: "Initial-Filter-Criteria", value: "0;terminating;INVITE;sip:mirror" },
    ],
  };
  assert.deepEqual(parseSignaling(serializeSignaling(message)), { ok: true, value: message });
  const unknown = parseSignaling(utf8("DIAMETER Cancel-Everything\r\n\r\n"));
  assert.ok(!unknown.ok);
  assert.equal(unknown.error.code, ErrorCodes.SIGNALING_MALFORMED);
  assert.match(unknown.error.message, /unknown command Cancel-Everything/);
});
