import type { ServerResponse } from 'node:http';
import { GatewayError } from '../errors/index.js';
import type { JsonObject, JsonValue } from '../protocols/json.js';
import { spliceJsonObject } from '../protocols/json-splice.js';
import type { Deployment } from '../routing/router.js';
import type { GatewayMetrics } from '../telemetry/metrics.js';
import { upstreamCodecFor } from '../translators/registry.js';
import type { ClientCodec, UpstreamCodec } from '../translators/types.js';
import { dispatchUpstream } from '../upstream/dispatch.js';
import type { UpstreamRequestSpec } from '../upstream/dispatch.js';
import type { PipelineCall } from './call.js';
import { OutputWatch } from './relay/output-watch.js';
import { PassthroughJsonRelay, PassthroughStreamRelay } from './relay/passthrough.js';
import { streamCheckFor } from './relay/stream-check.js';
import type { Relay } from './relay/relay.js';
import { TranslatingJsonRelay, TranslatingStreamRelay } from './relay/translating.js';
import { WatchedPassthroughStreamRelay } from './relay/watched-passthrough.js';

class UnsupportedTranslationError extends GatewayError {
  constructor(from: string, provider: string, formats: readonly string[]) {
    super(
      400,
      'invalid_request_error',
      'unsupported_api',
      `Provider '${provider}' speaks ${formats.join(', ')} and the gateway cannot translate ${from} requests to it. Use an endpoint that provider supports.`,
    );
  }
}

export interface ForwardOptions {
  readonly streamKeepaliveMs: number;
  /** Largest non-streamed upstream reply relayed (`server.upstream_reply_limit`). */
  readonly upstreamReplyLimitBytes: number;
  /** Most output characters a streamed response whose encoder holds its output may carry (see ServerConfig). */
  readonly streamOutputLimit?: number;
  readonly metrics: GatewayMetrics;
  /** Validate every outgoing stream against its protocol and log violations (debugging aid). */
  readonly validateStreams: boolean;
}

/**
 * The body sent upstream when the formats match: the client's own, with the
 * upstream model name, the provider's request defaults under the client's
 * fields, and usage reporting asked for in streams. Spliced into the
 * client's text when the body is unchanged since it arrived (see
 * json-splice.ts), serialised from the object otherwise. `forceStream` turns
 * a non-streamed request into a streamed one (a watched call reads the
 * output as it is produced).
 */
function passthroughBody(call: PipelineCall, deployment: Deployment, streamed: boolean, forceStream: boolean): { body: string; injectedUsage: boolean } {
  const defaults = deployment.provider.requestDefaults;
  const usageRequest = streamed ? call.codec.usage.streamUsageRequest?.(call.body) : undefined;
  const injectedUsage = usageRequest !== undefined;
  // Fields are only appended: a body that already has the usage field is re-serialised.
  if (!forceStream && call.body === call.client.body && (usageRequest === undefined || !Object.hasOwn(call.body, usageRequest.field))) {
    const append: Array<readonly [string, JsonValue]> = [];
    for (const key of Object.keys(defaults)) if (!Object.hasOwn(call.body, key)) append.push([key, defaults[key]!]);
    if (usageRequest !== undefined) append.push([usageRequest.field, usageRequest.value]);
    const spliced = spliceJsonObject(call.client.text, 'model', deployment.model, append);
    if (spliced !== undefined) return { body: spliced, injectedUsage };
  }
  const body: JsonObject = {
    ...defaults,
    ...call.body,
    model: deployment.model,
    ...(forceStream ? { stream: true } : {}),
    ...(usageRequest === undefined ? {} : { [usageRequest.field]: usageRequest.value }),
  };
  useCeilingField(body, call, deployment);
  return { body: JSON.stringify(body), injectedUsage };
}

/**
 * A Chat ceiling the gateway set on a body that had none is written as
 * `max_completion_tokens`; an upstream that reads `max_tokens` (the
 * provider's `max_tokens_field`, by default for OpenAI-compatible servers)
 * gets it there instead, or would not see it. A client's own field stands.
 */
function useCeilingField(body: JsonObject, call: PipelineCall, deployment: Deployment): void {
  if (call.clientFormat !== 'openai-chat' || call.maxOutputTokens === undefined) return;
  if (Object.hasOwn(call.client.body, 'max_tokens') || Object.hasOwn(call.client.body, 'max_completion_tokens')) return;
  if ((deployment.provider.requestOptions.maxTokensField ?? 'max_tokens') !== 'max_tokens' || !Object.hasOwn(body, 'max_completion_tokens')) return;
  body['max_tokens'] = body['max_completion_tokens']!;
  delete body['max_completion_tokens'];
}

/** The headers of a relayed attempt's response, as flat name/value pairs: the form writeHead takes without copying (responseHeaders is the same as an object, for error responses). */
function responseHeaderList(call: PipelineCall, deployment: Deployment, attempts: number): string[] {
  const list = ['x-request-id', call.ctx.requestId, 'x-tollgate-provider', deployment.provider.name, 'x-tollgate-model', deployment.model, 'x-tollgate-attempts', String(attempts)];
  if (call.extraHeaders !== undefined) list.push(...call.extraHeaders);
  return list;
}

export function responseHeaders(call: PipelineCall, deployment: Deployment, attempts: number): Record<string, string> {
  const headers: Record<string, string> = {
    'x-request-id': call.ctx.requestId,
    'x-tollgate-provider': deployment.provider.name,
    'x-tollgate-model': deployment.model,
    'x-tollgate-attempts': String(attempts),
  };
  const extra = call.extraHeaders;
  if (extra !== undefined) for (let i = 0; i + 1 < extra.length; i += 2) headers[extra[i]!] = extra[i + 1]!;
  return headers;
}

/** The upstream format a translated call is sent in: the first the deployment speaks that the gateway can encode. */
function translationTarget(call: PipelineCall, deployment: Deployment): { format: Deployment['formats'][number]; codec: UpstreamCodec } {
  for (const format of deployment.formats) {
    const codec = upstreamCodecFor(format);
    if (codec !== undefined) return { format, codec };
  }
  throw new UnsupportedTranslationError(call.clientFormat, deployment.provider.name, deployment.formats);
}

/**
 * Sends attempt number `attempts` (counting every attempt of this call) to
 * one deployment and relays the answer: raw when the upstream speaks the
 * client's format (pass-through), through the IR otherwise. A call a policy
 * watches reads its output on every path: pass-through streams decode their
 * events, and a non-streamed pass-through call is streamed from the upstream
 * and assembled here, so that it too can be ended at a ceiling.
 */
export function forward(res: ServerResponse, call: PipelineCall, deployment: Deployment, options: ForwardOptions, attempts: number): Relay {
  const { provider } = deployment;
  const headers = responseHeaderList(call, deployment, attempts);
  const upstreamHeaders = { ...provider.headers, 'x-request-id': call.ctx.requestId };
  const clientCodec = call.codec;
  const watch = call.hooks.length === 0 ? undefined : new OutputWatch(call.hooks, call.tokens.outputCounter(deployment.model));
  const timeouts = { firstByteTimeoutMs: provider.timeouts.firstByteMs, idleTimeoutMs: provider.timeouts.idleMs };
  // Built only for the paths that encode for the client: plain pass-through relays the upstream's bytes.
  const encodeOptions = () => ({ requestedModel: call.requestedModel, includeUsage: clientCodec.usage.clientWantsUsage?.(call.body) ?? false, clientBody: call.body });

  let relay: Relay;
  let spec: UpstreamRequestSpec;
  if (deployment.formats.includes(call.clientFormat)) {
    const reader = clientCodec.usage;
    const assemble = !call.stream && watch !== undefined;
    const { body, injectedUsage } = passthroughBody(call, deployment, call.stream || assemble, assemble);
    spec = { method: 'POST', path: provider.pathFor(call.clientFormat), headers: upstreamHeaders, body, ...timeouts };
    if (assemble) {
      const decoder = upstreamCodecFor(call.clientFormat)?.createStreamDecoder();
      if (decoder === undefined) throw new UnsupportedTranslationError(call.clientFormat, provider.name, deployment.formats);
      relay = new TranslatingJsonRelay(decoder, clientCodec.createAccumulator(encodeOptions()), watch, options.upstreamReplyLimitBytes, res, call, deployment, headers);
    } else if (call.stream && watch !== undefined) {
      const watcher = clientCodec.createPassthroughWatcher({ requestedModel: call.requestedModel, includeUsage: encodeOptions().includeUsage });
      relay = new WatchedPassthroughStreamRelay(watcher, watch, injectedUsage, res, call, deployment, headers).limitOutput(options.streamOutputLimit);
    } else if (call.stream) {
      relay = new PassthroughStreamRelay(res, call, deployment, headers).setErrorCodec(clientCodec).captureUsage(reader, injectedUsage ? reader.stripUsageEvents : undefined);
    } else {
      relay = new PassthroughJsonRelay(options.upstreamReplyLimitBytes, res, call, deployment, headers).captureUsage(reader);
    }
  } else {
    const target = translationTarget(call, deployment);
    // The IR is built once per call; each attempt sends it with its own upstream model name.
    const shared = call.ir();
    const ir = { ...shared, model: deployment.model };
    if (ir.droppedTools && ir.droppedTools.length > 0) reportDroppedTools(ir.droppedTools, clientCodec, headers, call, deployment, attempts === 1 ? options.metrics : undefined);
    const body = JSON.stringify(target.codec.buildRequest(ir, provider.requestDefaults, provider.requestOptions));
    spec = { method: 'POST', path: provider.pathFor(target.format), headers: upstreamHeaders, body, ...timeouts };
    const translateOptions = { ...encodeOptions(), request: ir };
    relay = call.stream
      ? new TranslatingStreamRelay(target.codec.createStreamDecoder(), clientCodec.createStreamEncoder(translateOptions), options.streamKeepaliveMs, watch, res, call, deployment, headers).limitOutput(
          options.streamOutputLimit,
        )
      : new TranslatingJsonRelay(target.codec.createStreamDecoder(), clientCodec.createAccumulator(translateOptions), watch, options.upstreamReplyLimitBytes, res, call, deployment, headers);
  }
  if (options.validateStreams && call.stream) relay.checkStream(streamCheckFor(call.clientFormat));
  const failure = clientCodec.streamFailure;
  if (failure) relay.mapTerminalErrors((error) => ({ message: failure.message(error), code: failure.code(error) }));
  relay.attach(dispatchUpstream(provider.dispatcher, provider.origin, spec, relay, provider.redactor));
  return relay;
}

/**
 * A hosted tool the upstream cannot run is removed from the request; the
 * client is told in a header, operators in a metric and a log line.
 */
function reportDroppedTools(tools: readonly string[], codec: ClientCodec, headers: string[], call: PipelineCall, deployment: Deployment, metrics: GatewayMetrics | undefined): void {
  const labels = tools.map((type) => codec.droppedToolLabel(type));
  headers.push('x-tollgate-dropped-tools', [...new Set(labels)].join(', '));
  if (!metrics) return;
  for (const tool of labels) metrics.droppedTools.inc({ tool, provider: deployment.provider.name });
  call.ctx.log.info({ dropped_tools: tools, provider: deployment.provider.name }, 'dropped tools the upstream cannot run');
}
