// Parses action arguments, which travel as ordered "key=value" strings
// (proto/mirrorcell/v1/input.proto, AppAction.args), into a lookup the apps
// use. Bad arguments are the user's or peer's fault: typed errors, thrown
// inside an app and turned into a Result (and a rollback) by the platform.
import { ErrorCodes, MirrorcellError } from "../core/errors.ts";
import { checkName } from "./path.ts";

export class ActionArgs {
  private constructor(
    private readonly values: ReadonlyMap<string, string>,
    private readonly context: string,
  ) {}

  static parse(args: readonly string[], context: string): ActionArgs {
    const values = new Map<string, string>();
    for (const arg of args) {
      const eq = arg.indexOf("=");
      if (eq <= 0)
        throw malformed(`${context}: argument ${JSON.stringify(arg.slice(0, 40))} is not key=value`);
      const key = arg.slice(0, eq);
      if (values.has(key)) throw malformed(`${context}: argument ${key} given twice`);
      values.set(key, arg.slice(eq + 1));
    }
    return new ActionArgs(values, context);
  }

  optional(key: string): string | undefined {
    return this.values.get(key);
  }

  required(key: string): string {
    const value = this.values.get(key);
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
