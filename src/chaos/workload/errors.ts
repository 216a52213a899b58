/** A workload description that cannot run (unknown method in the mix, bad rate...). */
export class WorkloadConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WorkloadConfigError';
  }
}
