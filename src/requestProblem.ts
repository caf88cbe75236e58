/** A request the bridge refuses before deciding: answered with `status` and a short reason. */
export class RequestProblem extends Error {
  constructor(
    readonly status: 400 | 403 | 404 | 405 | 408 | 413 | 415,
    message: string,
  ) {
    super(message);
    this.name = 'RequestProblem';
  }
}
