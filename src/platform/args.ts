// Parses action arguments, which travel as ordered "key=value" strings
// (proto/mirrorcell/v1/input.proto, AppAction.args), into a lookup the apps
// use. Bad arguments are the user's or peer's fault: typed errors, thrown
// inside an app and turned into a Result (and a rollback) by the platform.
import { assert } from "../core/assert.ts";
import { ErrorCodes, MirrorcellError } from "../core/errors.ts";
import { limits } from "../core/limits.ts";
import { checkName } from "./path.ts";

export class ActionArgs {
  private constructor(
    /** keys[i] = values[i], at most limits.actionArgsMax (input-check.ts): a scan beats a Map per input. */
    private readonly keys: readonly string[],
    private readonly values: readonly string[],
    /** "app/action" for messages, built only when one is (every action and delivery parses its args). */
    private readonly app: string,
    private readonly action: string,
  ) {}

  static parse(args: readonly string[], app: string, action: string): ActionArgs {
    assert(args.length <= limits.actionArgsMax, "ActionArgs.parse: args not checked against the bound");
    const keys = new Array<string>(args.length);
    const values = new Array<string>(args.length);
    for (let i = 0; i < args.length; i++) {
      const arg = args[i]!;
      const eq = arg.indexOf("=");
      if (eq <= 0)
        throw malformed(`${app}/${action}: argument ${JSON.stringify(arg.slice(0, 40))} is not key=value`);
      const key = arg.slice(0, eq);
      for (let j = 0; j < i; j++)
        if (keys[j] === key) throw malformed(`${app}/${action}: argument ${key} given twice`);
      keys[i] = key;
      values[i] = arg.slice(eq + 1);
    }
    return new ActionArgs(keys, values, app, action);
  }

  private get context(): string {
    return `${this.app}/${this.action}`;
  }

  optional(key: string): string | undefined {
    const { keys } = this;
    for (let i = 0; i < keys.length; i++) if (keys[i] === key) return this.values[i];
    return undefined;
  }

  required(key: string): string {
    const value = this.optional(key);
    if (value === undefined || value === "") throw malformed(`${this.context}: missing argument ${key}`);
    return value;
  }

  /** A value that will become one path segment (a peer, a file name). */
  name(key: string): string {
    const value = this.required(key);
    const checked = checkName(value);
    if (!checked.ok) throw malformed(`${this.context}: argument ${key}: ${checked.error.message}`);
    return value;
  }

  /** A non-negative integer. */
  count(key: string): number {
    const value = this.required(key);
    if (!/^\d{1,15}$/.test(value)) throw malformed(`${this.context}: argument ${key} is not a count`);
    return Number(value);
  }
}

export function malformed(message: string): MirrorcellError {
  return new MirrorcellError(ErrorCodes.INPUT_MALFORMED, message);
}
