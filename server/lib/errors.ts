// The few error classes the app throws. Each carries a stable `code` and a message written for the
// person who reads it (what is wrong, what to do). The HTTP error handler is the only place that
// turns them into responses; anything else is logged and answered as a generic 500.

export interface FieldProblem {
  /** Dotted path of the field, e.g. `primaryContact.email`. */
  path: string;
  message: string;
}

export class AppError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: { fields?: FieldProblem[]; retryAfterSeconds?: number; [key: string]: unknown } = {},
  ) {
    super(message);
    this.name = new.target.name;
  }
}

export class ValidationError extends AppError {
  constructor(message: string, fields: FieldProblem[]) {
    super(400, 'VALIDATION_FAILED', message, { fields });
  }
}

export class NotFoundError extends AppError {
  constructor(code: string, message: string) {
    super(404, code, message);
  }
}

/** The request is well formed but the resource is not in a state that allows it. */
export class ConflictError extends AppError {
  constructor(code: string, message: string, details: Record<string, unknown> = {}) {
    super(409, code, message, details);
  }
}

export class GoneError extends AppError {
  constructor(code: string, message: string, details: Record<string, unknown> = {}) {
    super(410, code, message, details);
  }
}

export class ForbiddenError extends AppError {
  constructor(code: string, message: string) {
    super(403, code, message);
  }
}

export class RateLimitedError extends AppError {
  constructor(message: string, retryAfterSeconds: number) {
    super(429, 'RATE_LIMITED', message, { retryAfterSeconds });
  }
}

/** A dependency we need (database, mail, vault, Microsoft) is not answering: fail closed, retry later. */
export class UnavailableError extends AppError {
  constructor(code: string, message: string, retryAfterSeconds = 30) {
    super(503, code, message, { retryAfterSeconds });
  }
}

export function assertThat(condition: unknown, error: () => AppError): asserts condition {
  if (!condition) throw error();
}
