// One error type for "the build failed for a reason a human should read". Its message is
// what ends up as the task's fail_reason, so it must be a sentence, not a stack trace.
export class BuildFailedError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'BuildFailedError';
  }
}

/** Why the combined abort signal fired: the build was canceled or ran out of time. */
export class TaskAbortedError extends Error {
  constructor(
    readonly kind: 'canceled' | 'timeout',
    message: string,
  ) {
    super(message);
    this.name = 'TaskAbortedError';
  }
}
