// The command-line handling every bench script needs: --help prints the
// usage and exits 0; `--name value` options read as text.

/** Prints `usage` and exits when --help or -h is given. */
export function exitOnHelp(usage: string): void {
  if (process.argv.includes("--help") || process.argv.includes("-h")) {
    process.stdout.write(`${usage}\n`);
    process.exit(0);
  }
}

/** The text after `--name`, or `fallback` when the option (or its value) is absent. */
export function argText(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i < 0 ? fallback : (process.argv[i + 1] ?? fallback);
}
