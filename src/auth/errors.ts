// 401 and 403 as problem+json, through the AppError rendering of src/errors.ts.
import { AppError } from '../errors.ts';

/** No credentials, or credentials that do not verify. The detail never echoes the token. */
export class UnauthorizedError extends AppError {
  constructor(detail = 'A valid bearer token is required.') {
    super(401, 'unauthorized', 'Unauthorized', detail);
  }
}

/** Authenticated, but the role or the account scope does not allow this. */
export class ForbiddenError extends AppError {
  constructor(code: string, detail: string) {
    super(403, code, 'Forbidden', detail);
  }
}
