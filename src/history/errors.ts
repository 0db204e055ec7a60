/**
 * A problem with the user's repository or arguments (unknown rev, shallow clone, not a repository…). The history
 * layer never throws UserError itself (that is the CLI's job): commands turn this into a UserError, exit 2 (an error
 * of use, not a finding).
 */
export class HistoryError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'HistoryError';
  }
}
