/** A scenario description that cannot run (unknown target, bad timing...). Thrown before anything starts. */
export class ScenarioConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ScenarioConfigError';
  }
}

/** The environment could not be brought up or never became ready (devnet, proxies, Lasso). */
export class ScenarioSetupError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ScenarioSetupError';
  }
}
