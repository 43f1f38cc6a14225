/** Figures, the table printed to stdout and the JSON written to bench-results/. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

export type Verdict = 'PASS' | 'FAIL' | 'INFO';

export interface Figure {
  id: string;
  label: string;
  value: number;
  unit: string;
  /** `>= n` or `< n` in `unit`; absent for informative figures. */
  target?: { op: '>=' | '<'; value: number };
  verdict: Verdict;
  /**
   * The figure in calibration operations (time / ns per calibration op): how many
   * JSON.stringify calls of the calibration object take as long. Comparable across machines.
   */
  calibrationOps?: number;
  details?: Record<string, unknown>;
}

export function figure(args: Omit<Figure, 'verdict'>): Figure {
  const { target, value } = args;
  let verdict: Verdict = 'INFO';
  if (target) verdict = (target.op === '>=' ? value >= target.value : value < target.value) ? 'PASS' : 'FAIL';
  return { ...args, verdict };
}

function formatNumber(value: number): string {
  if (Number.isInteger(value) && Math.abs(value) >= 1000) return value.toLocaleString('en-US');
  if (Math.abs(value) >= 1000) return Math.round(value).toLocaleString('en-US');
  if (Math.abs(value) >= 100) return value.toFixed(0);
  if (Math.abs(value) >= 10) return value.toFixed(1);
  return value.toFixed(3);
}

export function formatValue(value: number, unit: string): string {
  return `${formatNumber(value)} ${unit}`;
}

export function table(figures: readonly Figure[]): string {
  const header = ['Figure', 'Value', 'Target', 'Result', 'Calibration ops'];
  const rows = figures.map((f) => [
    f.label,
    formatValue(f.value, f.unit),
    f.target ? `${f.target.op} ${formatValue(f.target.value, f.unit)}` : '-',
    f.verdict,
    f.calibrationOps === undefined ? '-' : formatNumber(f.calibrationOps),
  ]);
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c]!.length)));
  const numeric = [false, true, true, false, true];
  const line = (cells: string[]) =>
    cells.map((cell, c) => (numeric[c] ? cell.padStart(widths[c]!) : cell.padEnd(widths[c]!))).join('  ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

export function writeJson(file: string, data: unknown): void {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify(data, null, 2)}\n`);
}
