// The shapes of an operation's events: the Pulumi engine events the service stores (one kind per event,
// as the Automation API's EngineEvent type has them) and the server-sent-event framing of the stream.
// OpenAPI 3.1 has no item schema for streams (3.2 adds itemSchema); the text/event-stream schema below
// describes one SSE message, each `data` line a JSON document (JSON Schema contentMediaType/contentSchema).
import { Type } from 'typebox';

const Kind = (description: string) => Type.Record(Type.String(), Type.Unknown(), { description });

/** Pulumi's EngineEvent (`@pulumi/pulumi/automation` events.ts): sequence, timestamp and one event kind. */
export const EngineEventSchema = Type.Object(
  {
    sequence: Type.Optional(Type.Integer({ description: 'Position in the engine run' })),
    timestamp: Type.Optional(Type.Integer({ description: 'Unix seconds' })),
    cancelEvent: Type.Optional(Kind('The run was cancelled')),
    stdoutEvent: Type.Optional(Kind('Text the engine printed: { message, color }')),
    diagnosticEvent: Type.Optional(
      Kind('A diagnostic: { urn?, message, severity: debug|info|info#err|warning|error, ephemeral? }'),
    ),
    preludeEvent: Type.Optional(Kind('The run starts: { config }')),
    summaryEvent: Type.Optional(
      Kind('The run ended: { maybeCorrupt, durationSeconds, resourceChanges, policyPacks }'),
    ),
    resourcePreEvent: Type.Optional(
      Kind('A step starts: { metadata: { op, urn, type, old?, new?, diffs? } }'),
    ),
    resOutputsEvent: Type.Optional(Kind('A step finished: { metadata }')),
    resOpFailedEvent: Type.Optional(Kind('A step failed: { metadata, status, steps }')),
    policyEvent: Type.Optional(Kind('A policy violation')),
    startDebuggingEvent: Type.Optional(Kind('A debugger can attach')),
    progressEvent: Type.Optional(Kind('Progress of a download or install')),
    errorEvent: Type.Optional(Kind('An error: { error }')),
  },
  {
    title: 'EngineEvent',
    // Kinds a later Pulumi adds pass through (and serialize) unchanged.
    additionalProperties: true,
    description: 'A Pulumi engine event as the Automation API emits it: exactly one of the kinds is present',
    examples: [
      {
        sequence: 7,
        timestamp: 1796068986,
        diagnosticEvent: { message: 'creating the log bucket', severity: 'info', ephemeral: false },
      },
    ],
  },
);

/** Levels of the JSON event list's filter, least severe first. */
export const EVENT_LEVELS = ['debug', 'info', 'warning', 'error'] as const;
export type EventLevel = (typeof EVENT_LEVELS)[number];

/**
 * The level of a stored engine event. Only diagnostics carry one (severity debug|info|info#err|warning|error,
 * per the Automation API's DiagnosticEvent); a failed step or an error event is an error, a policy
 * violation a warning, every other kind (steps, summary, prelude, stdout) info.
 */
export function eventLevel(event: unknown): EventLevel {
  const e = (event ?? {}) as Record<string, { severity?: unknown } | undefined>;
  if (e['errorEvent'] || e['resOpFailedEvent']) return 'error';
  if (e['policyEvent']) return 'warning';
  const severity = e['diagnosticEvent']?.severity;
  if (severity === 'debug') return 'debug';
  if (severity === 'warning') return 'warning';
  if (severity === 'error') return 'error';
  return 'info';
}

/** The JSON of an SSE `data` line. */
const jsonData = (schema: object, description: string) =>
  Type.String({ contentMediaType: 'application/json', contentSchema: schema, description });

/**
 * One message of the operation event stream (text/event-stream). The stream starts with a `state`
 * message (the operation, so a queued one shows at once), sends another whenever the state changes, one
 * `engine-event` per engine event (id = its seq; reconnect with Last-Event-ID to resume after it), and
 * ends with `end` (the final operation); `: keep-alive` comments come every 15 s.
 */
export function operationEventStreamSchema(operationSchema: object) {
  return Type.Union(
    [
      Type.Object(
        {
          event: Type.Enum(['state', 'end'] as const, {
            description: 'state: current state (first message, then on each change); end: the final one',
          }),
          data: jsonData(operationSchema, 'The operation'),
        },
        { title: 'OperationStateMessage' },
      ),
      Type.Object(
        {
          id: Type.String({
            pattern: '^[1-9][0-9]*$',
            description: 'seq of the event (SSE ids are text): the Last-Event-ID to resume after',
          }),
          event: Type.Literal('engine-event'),
          data: jsonData(EngineEventSchema, 'The engine event'),
        },
        { title: 'EngineEventMessage' },
      ),
    ],
    {
      description:
        'One server-sent event (fields id, event, data of the SSE framing); the stream is a sequence of them',
    },
  );
}
