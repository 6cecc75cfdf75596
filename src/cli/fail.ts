// Maps errors at the CLI edge: typed errors print their code and message and
// exit with exitCodeOf(code); anything else is a bug and keeps its stack.
import { exitCodeOf, isMirrorcellError } from "../core/errors.ts";

export function exitWithError(error: unknown): never {
  if (isMirrorcellError(error)) {
    process.stderr.write(`mirrorcell: ${error.code}: ${error.message}\n`);
    process.exit(exitCodeOf(error.code));
  }
  process.stderr.write(
    `mirrorcell: internal error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exit(70);
}
