export interface Prerequisite {
  tool: string;
  path: string;
  pkg: string;
}
export type ProvisioningPlan = { kind: 'ready' } | { kind: 'install'; packages: string[]; commands: string[][] } | { kind: 'fail'; message: string };
export declare const PREREQUISITES: Prerequisite[];
export declare function plan(facts: { missing: Pick<Prerequisite, 'tool' | 'pkg'>[]; isRoot: boolean; hasAptGet: boolean; hasSudo: boolean }): ProvisioningPlan;
export declare function found(path: string, env?: NodeJS.ProcessEnv): boolean;
