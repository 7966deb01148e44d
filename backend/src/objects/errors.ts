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
    readonly chain?: string,
  ) {
    super(message);
    this.retryable = RETRYABLE.has(code);
  }
}

export function isRetryable(err: unknown): boolean {
  return err instanceof ResidentError && err.retryable;
}

/** Converts whatever a method threw into a code and message that can cross the wire. */
export function toWireError(err: unknown): { code: ErrorCode; message: string } {
  if (err instanceof ResidentError) return { code: err.code, message: err.message };
  if (err instanceof Error) return { code: ErrorCode.Application, message: `${err.name}: ${err.message}` };
  return { code: ErrorCode.Application, message: String(err) };
}
