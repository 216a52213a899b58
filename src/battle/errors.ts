/** Bad command-line usage (unknown flag, malformed value). Exit code 2. */
export class BattleUsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BattleUsageError';
  }
}

/** One problem in a scenario file, with the path into the document (e.g. `chaos.2.target`). */
export interface ScenarioFileIssue {
  path: string;
  message: string;
}

/** A scenario file that cannot be read or does not validate. Exit code 2. */
export class ScenarioFileError extends Error {
  constructor(
    readonly file: string,
    readonly issues: ScenarioFileIssue[],
  ) {
    super(`invalid scenario file ${file}:\n${issues.map((i) => `  - ${i.path === '' ? '(root)' : i.path}: ${i.message}`).join('\n')}`);
    this.name = 'ScenarioFileError';
  }
}

/** A baseline file that is missing or is not a battle result. Exit code 2. */
export class BaselineError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BaselineError';
  }
}
