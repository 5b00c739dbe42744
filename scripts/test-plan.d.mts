export function nextFileIndex(queue: string[], runningLoads: number[], loadOf: (file: string) => number, capacity: number, idle: boolean): number;
export function processTreeCpuMs(root?: number): number | undefined;
