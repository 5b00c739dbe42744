export function nextFileIndex(queue: string[], runningLoads: number[], loadOf: (file: string) => number, capacity: number, idle: boolean, lastWorker?: boolean): number;
export function processTreeCpuMs(root?: number): number | undefined;
