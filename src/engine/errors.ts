// Typed engine failures: each carries a stable `code` for the API and the engine's own message.
export class EngineError extends Error {
  readonly code: string = 'engine_failed';
  /** What the engine itself said (its error diagnostics, or the CLI's stderr). */
  readonly engineMessage: string;
  constructor(message: string, engineMessage: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'EngineError';
    this.engineMessage = engineMessage;
  }
}

/** The stack is locked by another update (ours in another process, or one that crashed). */
export class StackLockedError extends EngineError {
  override readonly code = 'stack_locked';
  constructor(engineMessage: string, options?: { cause?: unknown }) {
    super('the account stack is locked by another update', engineMessage, options);
    this.name = 'StackLockedError';
  }
}

export class OperationCancelledError extends EngineError {
  override readonly code = 'cancelled';
  constructor(engineMessage = 'cancelled by request', options?: { cause?: unknown }) {
    super('the operation was cancelled', engineMessage, options);
    this.name = 'OperationCancelledError';
  }
}

export class PulumiCliMissingError extends Error {
  readonly code = 'pulumi_cli_missing';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'PulumiCliMissingError';
  }
}

/** An apply confirmed from a preview found the recorded stack state changed since that preview. */
export class PreviewStaleError extends EngineError {
  override readonly code = 'preview_stale';
  constructor(engineMessage: string) {
    super(
      'the account changed since the preview this apply was confirmed from; preview again',
      engineMessage,
    );
    this.name = 'PreviewStaleError';
  }
}
