import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DiagnosticSeverity, Parser } from '@asyncapi/parser';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import type { EventEnvelope } from './envelope';
import { ERROR_CODES, ErrorCode, RECOVERY_FAILURES, type ErrorPayload } from './errors';
import { EVENT_PAYLOAD_SCHEMAS, EVENT_TYPES, isEventType } from './events';
import {
  CLIENT_MESSAGES,
  EVENTS_NAMESPACE,
  RefreshTokenRequestSchema,
  SERVER_MESSAGES,
  StreamControlRequestSchema,
  StreamPositionSchema,
  SubscribeRequestSchema,
  UnsubscribeRequestSchema,
  type DisconnectNotice,
  type RefreshTokenAck,
  type ServerToClientEvents,
  type OutputSkippedNotice,
  type StreamControlAck,
  type SubscribeAck,
  type SubscribeResult,
  type TokenExpiringNotice,
  type UnsubscribeAck,
} from './messages';

// The hand-written AsyncAPI document must not drift from the TypeScript contract. The
// parser checks that it is valid AsyncAPI; the rest compares it with the contract.

interface Schema {
  $ref?: string;
  properties?: Record<string, Schema>;
  required?: string[];
  items?: Schema;
  allOf?: Schema[];
  oneOf?: Schema[];
  enum?: unknown[];
  const?: unknown;
  'x-error-codes'?: Record<string, { retry: boolean; reconnect: boolean; description: string }>;
  [keyword: string]: unknown;
}
interface Message {
  $ref?: string;
  name?: string;
  payload: Schema;
  examples?: { name: string; payload: unknown }[];
}
interface Operation {
  action: 'send' | 'receive';
  messages: Message[];
  reply?: { messages: Message[] };
}
interface AsyncApiDocument {
  channels: Record<string, { address: string }>;
  operations: Record<string, Operation>;
  components: { schemas: Record<string, Schema>; messages: Record<string, Message> };
}

const path = join(__dirname, '..', 'asyncapi.yaml');
const text = readFileSync(path, 'utf8');
const doc = parseYaml(text) as AsyncApiDocument;

/** Follows local `$ref`s (`#/a/b`), the only kind the document uses. */
function deref<T extends { $ref?: string }>(node: T): T {
  let current: T = node;
  while (current.$ref !== undefined) {
    const target = current.$ref
      .slice(2)
      .split('/')
      .reduce<unknown>((at, key) => (at as Record<string, unknown>)[key], doc);
    if (target === undefined) throw new Error(`unresolved $ref ${current.$ref}`);
    current = target as T;
  }
  return current;
}

const schema = (name: string): Schema => {
  const found = doc.components.schemas[name];
  if (!found) throw new Error(`components.schemas.${name} is missing`);
  return found;
};

// Keywords that change what a value may be. Left out: descriptions and examples, `pattern`
// (zod's uuid regex is an implementation detail; `format: uuid` says the same), and
// `additionalProperties` (event payloads stay open in the document so that clients ignore
// fields added later, while zod strips unknown keys from what the publisher stores).
const KEYWORDS = 'type format enum const minLength maxLength minItems maxItems minimum maximum'.split(' ');

/** The parts of a JSON Schema that both the document and `z.toJSONSchema` must agree on. */
function shapeOf(node: Schema): Record<string, unknown> {
  const s = deref(node);
  const shape: Record<string, unknown> = {};
  for (const keyword of KEYWORDS) if (s[keyword] !== undefined) shape[keyword] = s[keyword];
  if (s.properties) {
    shape.properties = Object.fromEntries(Object.entries(s.properties).map(([k, v]) => [k, shapeOf(v)]));
    shape.required = [...(s.required ?? [])].sort();
  }
  if (s.items) shape.items = shapeOf(s.items);
  return shape;
}

const zodShape = (zodSchema: z.ZodType): Record<string, unknown> =>
  shapeOf(z.toJSONSchema(zodSchema) as Schema);

/** Which fields of a TypeScript interface are optional, so a table of them is type-checked. */
type Presence<T> = { [K in keyof T]-?: object extends Pick<T, K> ? 'optional' : 'required' };
const presence = <T>(fields: Presence<T>): Record<string, string> => fields;

function presenceOf(name: string): Record<string, string> {
  const s = deref(schema(name));
  return Object.fromEntries(
    Object.keys(s.properties ?? {}).map((k) => [k, s.required?.includes(k) ? 'required' : 'optional']),
  );
}

/** Event type → payload schema, read from the `events` message's per-type envelopes. */
function documentedPayloads(): Map<string, Schema> {
  const envelopes = deref(deref(doc.components.messages.events!).payload.items!).oneOf ?? [];
  const payloads = new Map<string, Schema>();
  for (const envelope of envelopes) {
    const parts = deref(envelope).allOf?.map(deref) ?? [];
    const own = parts.find((part) => part.properties?.type?.const !== undefined);
    if (!own?.properties?.payload) throw new Error(`envelope ${envelope.$ref} has no type const or payload`);
    payloads.set(String(own.properties.type!.const), own.properties.payload);
  }
  return payloads;
}

const messageNames = (action: Operation['action']): string[] =>
  Object.values(doc.operations)
    .filter((op) => op.action === action)
    .flatMap((op) => op.messages.map((m) => deref(m).name ?? '(unnamed)'))
    .sort();

const examplesOf = (message: string): unknown[] =>
  (deref(doc.components.messages[message]!).examples ?? []).map((example) => example.payload);

describe('asyncapi.yaml', () => {
  it('is a valid AsyncAPI 3.0.0 document', async () => {
    const { document, diagnostics } = await new Parser().parse(text, { source: path });
    // Number(): the parser re-exports DiagnosticSeverity from another @stoplight/types
    // version than its diagnostics use, so the two enums are distinct types.
    const errors = diagnostics
      .filter((d) => Number(d.severity) === Number(DiagnosticSeverity.Error))
      .map((d) => `${d.path.join('.')}: ${d.message}`);
    expect(errors).toEqual([]);
    expect(document?.version()).toBe('3.0.0');
  });

  it('describes the namespace of EVENTS_NAMESPACE', () => {
    expect(Object.values(doc.channels).map((channel) => channel.address)).toEqual([EVENTS_NAMESPACE]);
  });

  it('receives every client message and sends every server message, and no others', () => {
    // `connect` and `connect_error` are Socket.IO's own handshake packets, not in the event maps.
    expect(messageNames('receive')).toEqual([...CLIENT_MESSAGES, 'connect'].sort());
    expect(messageNames('send')).toEqual([...SERVER_MESSAGES, 'connect_error'].sort());
  });

  it('answers every client message with an acknowledgement', () => {
    const operations = Object.values(doc.operations).filter((op) => op.action === 'receive');
    for (const name of CLIENT_MESSAGES) {
      const operation = operations.find((op) => op.messages.some((m) => deref(m).name === name));
      expect({ name, acknowledged: (operation?.reply?.messages.length ?? 0) > 0 }).toEqual({
        name,
        acknowledged: true,
      });
    }
  });

  it('has an envelope for every event type and for no other', () => {
    expect([...documentedPayloads().keys()].sort()).toEqual([...EVENT_TYPES].sort());
    expect(schema('EventType').enum).toEqual(EVENT_TYPES);
  });

  it.each(EVENT_TYPES)('documents the payload of %s as events.ts defines it', (type) => {
    const documented = documentedPayloads().get(type);
    expect(documented).toBeDefined();
    expect(shapeOf(documented!)).toEqual(zodShape(EVENT_PAYLOAD_SCHEMAS[type]));
  });

  it.each([
    ['SubscribeRequest', SubscribeRequestSchema],
    ['UnsubscribeRequest', UnsubscribeRequestSchema],
    ['StreamPosition', StreamPositionSchema],
    ['RefreshTokenRequest', RefreshTokenRequestSchema],
    ['StreamControlRequest', StreamControlRequestSchema],
  ] as const)('documents %s as messages.ts defines it', (name, zodSchema) => {
    expect(shapeOf(schema(name))).toEqual(zodShape(zodSchema));
  });

  // Interfaces have no runtime schema; these tables are checked against them by the compiler.
  it.each(
    Object.entries({
      EventEnvelope: presence<EventEnvelope>({
        id: 'required',
        stream: 'required',
        seq: 'required',
        epoch: 'required',
        type: 'required',
        occurredAt: 'required',
        payload: 'required',
      }),
      ErrorPayload: presence<ErrorPayload>({ code: 'required', message: 'required' }),
      ErrorNotice: presence<Parameters<ServerToClientEvents['error']>[0]>({
        code: 'required',
        message: 'required',
        event: 'optional',
      }),
      AccessRevokedNotice: presence<Parameters<ServerToClientEvents['access_revoked']>[0]>({
        stream: 'required',
        code: 'required',
        message: 'required',
      }),
      DisconnectNotice: presence<DisconnectNotice>({
        code: 'required',
        message: 'required',
        reconnect: 'required',
        retryAfterMs: 'optional',
      }),
      SubscribeResultOk: presence<Extract<SubscribeResult, { ok: true }>>({
        stream: 'required',
        ok: 'required',
        position: 'required',
        recovered: 'required',
        replayed: 'required',
        reason: 'optional',
      }),
      SubscribeResultError: presence<Extract<SubscribeResult, { ok: false }>>({
        stream: 'required',
        ok: 'required',
        error: 'required',
      }),
      SubscribeAckOk: presence<Extract<SubscribeAck, { ok: true }>>({ ok: 'required', results: 'required' }),
      UnsubscribeAckOk: presence<Extract<UnsubscribeAck, { ok: true }>>({
        ok: 'required',
        streams: 'required',
      }),
      RefreshTokenAckOk: presence<Extract<RefreshTokenAck, { ok: true }>>({
        ok: 'required',
        expiresAt: 'required',
      }),
      TokenExpiringNotice: presence<TokenExpiringNotice>({ expiresAt: 'required', disconnectAt: 'required' }),
      StreamControlAckOk: presence<Extract<StreamControlAck, { ok: true }>>({
        ok: 'required',
        stream: 'required',
        state: 'required',
        position: 'required',
        offset: 'required',
      }),
      OutputSkippedNotice: presence<OutputSkippedNotice>({
        stream: 'required',
        fromSeq: 'required',
        toSeq: 'required',
        from: 'required',
        to: 'required',
        reason: 'required',
      }),
      AckError: presence<Extract<SubscribeAck, { ok: false }>>({ ok: 'required', error: 'required' }),
    }),
  )('documents the fields of %s as the TypeScript contract has them', (name, fields) => {
    expect(presenceOf(name)).toEqual(fields);
  });

  it('lists every error code, and only those, in the ErrorCode enum and x-error-codes', () => {
    const codes = Object.values(ErrorCode).sort();
    expect([...(schema('ErrorCode').enum ?? [])].sort()).toEqual(codes);
    expect(Object.keys(schema('ErrorCode')['x-error-codes'] ?? {}).sort()).toEqual(codes);
  });

  it('gives every error code the retry and reconnect flags of ERROR_CODES', () => {
    const documented = schema('ErrorCode')['x-error-codes'] ?? {};
    for (const [code, { retry, reconnect }] of Object.entries(ERROR_CODES)) {
      expect({ code, retry: documented[code]?.retry, reconnect: documented[code]?.reconnect }).toEqual({
        code,
        retry,
        reconnect,
      });
      expect(documented[code]?.description).toMatch(/\w/);
    }
  });

  it('lists the recovery failures of RECOVERY_FAILURES', () => {
    expect(schema('RecoveryFailure').enum).toEqual(RECOVERY_FAILURES);
  });

  it('has examples that the contract accepts', () => {
    // The parser does not validate AsyncAPI 3 examples, so the zod schemas do.
    for (const example of examplesOf('subscribe'))
      expect(() => SubscribeRequestSchema.parse(example)).not.toThrow();
    for (const example of examplesOf('unsubscribe'))
      expect(() => UnsubscribeRequestSchema.parse(example)).not.toThrow();
    expect(examplesOf('refresh_token').length).toBeGreaterThan(0);
    for (const example of examplesOf('refresh_token'))
      expect(() => RefreshTokenRequestSchema.parse(example)).not.toThrow();
    expect(examplesOf('stream_control').length).toBeGreaterThan(0);
    for (const example of examplesOf('stream_control'))
      expect(() => StreamControlRequestSchema.parse(example)).not.toThrow();
    const envelopes = examplesOf('events').flat() as EventEnvelope[];
    expect(envelopes.length).toBeGreaterThan(0);
    for (const { type, payload } of envelopes) {
      expect(isEventType(type)).toBe(true);
      expect(() => EVENT_PAYLOAD_SCHEMAS[type].parse(payload)).not.toThrow();
    }
  });
});
