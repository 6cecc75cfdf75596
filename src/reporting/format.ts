// Number formatting shared by the report's HTML, Markdown and the CLI.

/** Dollars with cents, or two significant digits below a cent (measured costs can be tiny). */
export function formatUsd(value: number): string {
  return value >= 0.01 || value === 0 ? value.toFixed(2) : value.toPrecision(2);
}
