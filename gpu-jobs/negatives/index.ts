// Negative sampling beyond the batch (seed 001 §2.2): memory bank (MBNS), cross-device (CDNS),
// and the step switch that turns them on.
export { MemoryBank } from "./memory-bank.ts";
export type { BankNegatives, MemoryBankOptions } from "./memory-bank.ts";
export { crossDeviceIds, crossDeviceNegatives, splitReplicas } from "./cross-device.ts";
export type { CrossDeviceNegatives, ReplicaRange } from "./cross-device.ts";
export { activeAt, startStep } from "./schedule.ts";
