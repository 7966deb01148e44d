/** Error codes that travel in reply frames. Retryable ones mean the call had no effect and may be sent again. */
export const ErrorCode = {
  Application: 'Application',
  UnknownClass: 'UnknownClass',
  UnknownMethod: 'UnknownMethod',
  /** The receiving class refused the arguments (its `static expose` schema): the call did not run; not retried. */
  BadArguments: 'BadArguments',
  Timeout: 'Timeout',
  Overloaded: 'Overloaded',
  NotOwner: 'NotOwner',
  NodeLost: 'NodeLost',
  Unavailable: 'Unavailable',
  Serialization: 'Serialization',
  PayloadTooLarge: 'PayloadTooLarge',
  CommitFailed: 'CommitFailed',
  Stopped: 'Stopped',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** Codes after which the caller knows the call did not take effect, so sending it again is safe. */
const RETRYABLE = new Set<ErrorCode>([
  ErrorCode.Overloaded,
  ErrorCode.NotOwner,
  ErrorCode.Unavailable,
  ErrorCode.CommitFailed,
]);

export class ResidentError extends Error {
  override readonly name = 'ResidentError';
  readonly retryable: boolean;
  constructor(
    readonly code: ErrorCode,
    message: string,
    /** The call chain the error happened in: `<node>:<seq>` of the call that started it. */
    readonly chain?: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.retryable = RETRYABLE.has(code);
  }
}

export function isRetryable(err: unknown): boolean {
  return err instanceof ResidentError && err.retryable;
}

/**
 * The one way to turn whatever was thrown into a ResidentError, whose code and message can cross the wire. A
 * ResidentError keeps its code and message (and gains `chain` if it had none); anything else is an Application
 * error named after what was thrown (`TypeError: ...`). The original is kept as `cause`, on this node only.
 */
export function toResidentError(err: unknown, chain?: string): ResidentError {
  if (err instanceof ResidentError) {
    if (err.chain || !chain) return err;
    return new ResidentError(err.code, err.message, chain, { cause: err });
  }
  const message = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
  return new ResidentError(ErrorCode.Application, message, chain, { cause: err });
}
