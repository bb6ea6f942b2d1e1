// What a failed delivery means decides what the dispatcher does next, by class alone.
export abstract class DeliveryError extends Error {
  abstract readonly retryable: boolean;
  /** What the user should change, when the connector knows (doctor prints it as the fix line). */
  fix?: string;
  constructor(message: string, readonly status?: number) {
    super(message);
    this.name = new.target.name;
  }
}

/**
 * Try again later; `afterMs` is the delay the service asked for, if it named one.
 * `rateLimited` says the whole destination must wait that long, not just this delivery.
 */
export class RetryableError extends DeliveryError {
  readonly retryable = true;
  readonly rateLimited: boolean;
  constructor(message: string, readonly afterMs?: number, status?: number, options: { rateLimited?: boolean } = {}) {
    super(message, status);
    this.rateLimited = options.rateLimited ?? status === 429;
  }
}

/** Will never succeed as it stands (bad request, refused by the service). */
export class PermanentError extends DeliveryError {
  readonly retryable = false;
}

/** The event cannot be turned into a valid request for this service. */
export class PayloadValidationError extends PermanentError {}

/** Credentials were refused. A connector renews once itself before throwing this. */
export class AuthError extends PermanentError {}

/** The endpoint is gone for good (410, unknown webhook): the destination should stop, its deliveries kept. */
export class EndpointGoneError extends PermanentError {}

/** Not an error: this connector does not map this event. The delivery is recorded as skipped. */
export class SkipDelivery extends Error {
  constructor(readonly reason: string) {
    super(reason);
    this.name = 'SkipDelivery';
  }
}
