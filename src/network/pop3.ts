// Email delivery to the phone (Fig 8–9 style, no session control): POP3
// (RFC 1939) RETR, the pull protocol a phone's mail client speaks, carrying a
// real RFC 5322 message with dot-stuffing. Commands are single lines; the
// client-side parser knows which responses are multi-line from the commands
// it sent (as a POP3 client does). Bounded per line and per message.
import { assert } from "../core/assert.ts";
import { concatBytes, fromUtf8, utf8 } from "../core/bytes.ts";
import { ErrorCodes, fail, type MirrorcellError, ok, type Result } from "../core/errors.ts";
import { limits } from "../core/limits.ts";
import { ByteQueue } from "./byte-queue.ts";

export interface Pop3Command {
  readonly verb: string;
  readonly args: readonly string[];
}

export interface Pop3Response {
  readonly ok: boolean;
  readonly text: string;
  /** The un-stuffed data of a multi-line response (each line ends in CRLF). */
  readonly data?: Uint8Array;
}

function malformed<T>(reason: string): Result<T> {
  return fail(ErrorCodes.MAIL_MALFORMED, `Cannot parse POP3 message: ${reason}`);
}

export function serializePop3Command(command: Pop3Command): Uint8Array {
  assert(/^[A-Z]{3,4}$/.test(command.verb), `bad POP3 verb ${command.verb}`);
  assert(
    command.args.every((arg) => /^\S+$/.test(arg)),
    "bad POP3 argument",
  );
  return utf8(`${[command.verb, ...command.args].join(" ")}\r\n`);
}

export function parsePop3Command(bytes: Uint8Array): Result<Pop3Command> {
  const text = fromUtf8(bytes);
  if (bytes.length > 255 + 2)
    return fail(ErrorCodes.MESSAGE_TOO_LARGE, "Cannot parse POP3 command: longer than 255 bytes");
  if (text === undefined || !text.endsWith("\r\n"))
    return malformed("command must be one CRLF-terminated line");
  const parts = text.slice(0, -2).split(" ");
  const verb = parts[0]!.toUpperCase();
  if (!/^[A-Z]{3,4}$/.test(verb) || parts.slice(1).some((arg) => arg === "")) {
    return malformed(`bad command ${JSON.stringify(text.slice(0, 40))}`);
  }
  return ok({ verb, args: parts.slice(1) });
}

export function serializePop3Response(response: Pop3Response): Uint8Array {
  assert(!/[\r\n]/.test(response.text), "status text contains a line break");
  const status = utf8(
    `${response.ok ? "+OK" : "-ERR"}${response.text === "" ? "" : ` ${response.text}`}\r\n`,
  );
  if (response.data === undefined) return status;
  const text = fromUtf8(response.data);
  assert(text !== undefined, "POP3 data must be text");
  assert(text === "" || text.endsWith("\r\n"), "POP3 data must end with CRLF");
  const stuffed =
    text === ""
      ? ""
      : `${text
          .slice(0, -2)
          .split("\r\n")
          .map((line) => (line.startsWith(".") ? `.${line}` : line))
          .join("\r\n")}\r\n`;
  return concatBytes([status, utf8(`${stuffed}.\r\n`)]);
}

/** Client side: feed the server's bytes, get responses; `expect` tells which are multi-line. */
export class Pop3ResponseParser {
  private readonly queue = new ByteQueue();
  private readonly expected: boolean[] = [];
  private current: { ok: boolean; text: string; lines: string[]; bytes: number } | undefined;
  private error: MirrorcellError | undefined;

  /** Call once per command sent, in order: multiLine for RETR/LIST/UIDL without argument. */
  expect(multiLine: boolean): Result<void> {
    if (this.expected.length >= limits.networkPendingRequestsMax) {
      return fail(
        ErrorCodes.QUEUE_FULL,
        `more than ${limits.networkPendingRequestsMax} POP3 commands unanswered`,
      );
    }
    this.expected.push(multiLine);
    return ok(undefined);
  }

  feed(bytes: Uint8Array): Result<Pop3Response[]> {
    if (this.error) return { ok: false, error: this.error };
    this.queue.append(bytes);
    const out: Pop3Response[] = [];
    // every step consumes a line or ends the loop
    const stepsMax = this.queue.length + 2;
    for (let guard = 0; guard < stepsMax; guard++) {
      const line = this.nextLine();
      if (!line.ok) {
        this.error = line.error;
        return line;
      }
      if (line.value === undefined) return ok(out);
      const response = this.onLine(line.value);
      if (!response.ok) {
        this.error = response.error;
        return response;
      }
      if (response.value) out.push(response.value);
    }
    assert(false, "POP3 parser loop did not terminate");
  }

  private nextLine(): Result<string | undefined> {
    const data = this.queue.view();
    const lf = data.indexOf(10);
    if (lf < 0) {
      if (data.length > limits.mailLineBytesMax) {
        return fail(
          ErrorCodes.MESSAGE_TOO_LARGE,
          `Cannot parse POP3 message: line longer than ${limits.mailLineBytesMax} bytes`,
        );
      }
      return ok(undefined);
    }
    if (lf === 0 || data[lf - 1] !== 13) return malformed("bare LF");
    if (lf + 1 > limits.mailLineBytesMax + 2) {
      return fail(
        ErrorCodes.MESSAGE_TOO_LARGE,
        `Cannot parse POP3 message: line longer than ${limits.mailLineBytesMax} bytes`,
      );
    }
    const text = fromUtf8(this.queue.take(lf + 1).subarray(0, lf - 1));
    return text === undefined ? malformed("line is not valid UTF-8") : ok(text);
  }

  private onLine(line: string): Result<Pop3Response | undefined> {
    const current = this.current;
    if (current === undefined) {
      const status = /^(\+OK|-ERR)(?: (.*))?$/.exec(line);
      if (!status) return malformed(`bad status line ${JSON.stringify(line.slice(0, 40))}`);
      const multiLine = this.expected.shift();
      if (multiLine === undefined) return malformed("response without a command");
      const okStatus = status[1] === "+OK";
      if (!okStatus || !multiLine) return ok({ ok: okStatus, text: status[2] ?? "" });
      this.current = { ok: true, text: status[2] ?? "", lines: [], bytes: 0 };
      return ok(undefined);
    }
    if (line === ".") {
      this.current = undefined;
      const data = current.lines.length === 0 ? "" : `${current.lines.join("\r\n")}\r\n`;
      return ok({ ok: current.ok, text: current.text, data: utf8(data) });
    }
    const unstuffed = line.startsWith(".") ? line.slice(1) : line;
    current.bytes += unstuffed.length + 2;
    if (current.bytes > limits.mailMessageBytesMax) {
      return fail(
        ErrorCodes.MESSAGE_TOO_LARGE,
        `Cannot parse POP3 message: message exceeds ${limits.mailMessageBytesMax} bytes`,
      );
    }
    current.lines.push(unstuffed);
    return ok(undefined);
  }
}

export function pop3Label(kind: "command" | "response", value: Pop3Command | Pop3Response): string {
  if (kind === "command") {
    const command = value as Pop3Command;
    return `POP3 ${[command.verb, ...command.args].join(" ")}`;
  }
  return `POP3 ${(value as Pop3Response).ok ? "+OK" : "-ERR"}`;
}
