// An Internet mail server for the email flow: a POP3 maildrop (RFC 1939) that
// answers RETR with the stored RFC 5322 message. Authentication (USER/PASS)
// happens before the flow and is left out of the trace.
import type { MirrorcellError } from "../core/errors.ts";
import type { NetworkNode, NodeContext, NodeId, Packet } from "./bus.ts";
import { valueOrRecord } from "./peer-errors.ts";
import { type Pop3Response, parsePop3Command, pop3Label, serializePop3Response } from "./pop3.ts";

export class MailServer implements NetworkNode {
  readonly role = "internet" as const;
  readonly errors: MirrorcellError[] = [];

  constructor(
    readonly id: NodeId,
    private readonly maildrop: readonly Uint8Array[],
  ) {}

  onPacket(packet: Packet, from: NodeId, context: NodeContext): void {
    const command = valueOrRecord(parsePop3Command(packet.bytes), this.errors);
    if (command === undefined) return;
    const index = Number(command.args[0] ?? "0");
    const message = command.verb === "RETR" && Number.isInteger(index) ? this.maildrop[index - 1] : undefined;
    const response: Pop3Response = message
      ? { ok: true, text: `${message.length} octets`, data: message }
      : { ok: false, text: "no such message" };
    context.send(from, {
      src: this.id,
      dst: packet.src,
      protocol: "pop3",
      bytes: serializePop3Response(response),
      label: pop3Label("response", response),
    });
  }
}
