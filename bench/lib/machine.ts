import { readFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, totalmem } from 'node:os';

/** What the numbers were measured on: they mean little without it. */
export interface MachineDescription {
  cpuModel: string;
  nproc: number;
  memoryGiB: number;
  node: string;
  platform: string;
  /** 1-minute load average when the run started: other work on a shared machine skews absolute figures. */
  loadAverage: number;
}

/** Reads the CPU model from /proc/cpuinfo (Linux), falling back to `os.cpus()`. */
export function describeMachine(): MachineDescription {
  let cpuModel = cpus()[0]?.model ?? 'unknown';
  try {
    const match = /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'));
    if (match) cpuModel = match[1]!.trim();
  } catch {
    // not Linux: os.cpus() is the best we have
  }
  return {
    cpuModel,
    nproc: availableParallelism(),
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
    loadAverage: Math.round(loadavg()[0]! * 100) / 100,
  };
}
