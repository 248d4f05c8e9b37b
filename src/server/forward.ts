import type { ServerResponse } from 'node:http';
import { GatewayError } from '../errors/index.js';
import type { JsonObject, JsonValue } from '../protocols/json.js';
import { spliceJsonObject } from '../protocols/json-splice.js';
import type { Deployment } from '../routing/router.js';
import type { GatewayMetrics } from '../telemetry/metrics.js';
import { clientCodecFor, upstreamCodecFor } from '../translators/registry.js';
import { usageReaderFor } from '../translators/usage-readers.js';
import type { UsageReader } from '../translators/usage-readers.js';
import { dispatchUpstream } from '../upstream/dispatch.js';
import type { UpstreamRequestSpec } from '../upstream/dispatch.js';
import type { CallObserver, PreparedCall } from './pipeline.js';
import { PassthroughJsonRelay, PassthroughStreamRelay } from './relay/passthrough.js';
import { streamCheckFor } from './relay/stream-check.js';
import type { Relay } from './relay/relay.js';
import { TranslatingJsonRelay, TranslatingStreamRelay } from './relay/translating.js';

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

/**
 * The body sent upstream when the formats match: the client's own, with the
 * upstream model name, the provider's request defaults under the client's
 * fields, and usage reporting asked for in streams. Spliced into the
 * client's text when the body is unchanged since it arrived (see
 * json-splice.ts), serialised from the object otherwise.
 */
function passthroughBody(call: PreparedCall, deployment: Deployment, reader: UsageReader | undefined): { body: string; injectedUsage: boolean } {
  const defaults = deployment.provider.requestDefaults;
  const usageOptions = call.stream ? reader?.streamUsageOptions?.(call.body) : undefined;
  const injectedUsage = usageOptions !== undefined;
  // Fields are only appended: a body that has stream_options of its own is re-serialised.
  if (call.body === call.client.body && (!injectedUsage || !Object.hasOwn(call.body, 'stream_options'))) {
    const append: Array<readonly [string, JsonValue]> = [];
    for (const key of Object.keys(defaults)) if (!Object.hasOwn(call.body, key)) append.push([key, defaults[key]!]);
    if (usageOptions !== undefined) append.push(['stream_options', usageOptions]);
    const spliced = spliceJsonObject(call.client.text, 'model', deployment.model, append);
    if (spliced !== undefined) return { body: spliced, injectedUsage };
  }
  const body: JsonObject = { ...defaults, ...call.body, model: deployment.model, ...(usageOptions === undefined ? {} : { stream_options: usageOptions }) };
  return { body: JSON.stringify(body), injectedUsage };
}

/** The headers of a relayed attempt's response, as flat name/value pairs: the form writeHead takes without copying (responseHeaders is the same as an object, for error responses). */
function responseHeaderList(call: PreparedCall, deployment: Deployment, attempts: number): string[] {
  return ['x-request-id', call.ctx.requestId, 'x-tollgate-provider', deployment.provider.name, 'x-tollgate-model', deployment.model, 'x-tollgate-attempts', String(attempts)];
}

export function responseHeaders(call: PreparedCall, deployment: Deployment, attempts: number): Record<string, string> {
  return {
    'x-request-id': call.ctx.requestId,
    'x-tollgate-provider': deployment.provider.name,
    'x-tollgate-model': deployment.model,
    'x-tollgate-attempts': String(attempts),
  };
}

/**
 * Sends one prepared call to one deployment and relays the answer. Chooses
 * pass-through when the upstream speaks the client's format, translation
 * through the IR otherwise.
 */
export interface ForwardOptions {
  readonly observers: readonly CallObserver[];
  readonly streamKeepaliveMs: number;
  readonly metrics: GatewayMetrics;
  /** Validate every outgoing stream against its protocol and log violations (debugging aid). */
  readonly validateStreams: boolean;
}

/** Sends attempt number `attempts` (counting every attempt of this request) and relays its answer. */
export function forward(res: ServerResponse, call: PreparedCall, deployment: Deployment, options: ForwardOptions, attempts: number): Relay {
  const { observers } = options;
  const { provider } = deployment;
  const headers = responseHeaderList(call, deployment, attempts);
  const upstreamHeaders = { ...provider.headers, 'x-request-id': call.ctx.requestId };
  const clientCodec = clientCodecFor(call.clientFormat);

  let relay: Relay;
  let spec: UpstreamRequestSpec;
  const timeouts = { firstByteTimeoutMs: provider.timeouts.firstByteMs, idleTimeoutMs: provider.timeouts.idleMs };

  if (deployment.formats.includes(call.clientFormat)) {
    const reader = usageReaderFor(call.clientFormat);
    const { body, injectedUsage } = passthroughBody(call, deployment, reader);
    spec = { method: 'POST', path: provider.pathFor(call.clientFormat), headers: upstreamHeaders, body, ...timeouts };
    relay = call.stream
      ? new PassthroughStreamRelay(res, call, deployment, headers, observers)
          .setErrorCodec(clientCodec)
          .captureUsage(reader, injectedUsage ? reader?.stripUsageEvents : undefined)
      : new PassthroughJsonRelay(res, call, deployment, headers, observers).captureUsage(reader);
  } else {
    const upstreamFormat = deployment.formats.find((format) => upstreamCodecFor(format) !== undefined);
    const upstreamCodec = upstreamFormat === undefined ? undefined : upstreamCodecFor(upstreamFormat);
    if (clientCodec === undefined || upstreamFormat === undefined || upstreamCodec === undefined) throw new UnsupportedTranslationError(call.clientFormat, provider.name, deployment.formats);
    const ir = clientCodec.parseRequest(call.body);
    ir.model = deployment.model;
    if (ir.droppedTools && ir.droppedTools.length > 0) reportDroppedTools(ir.droppedTools, headers, call, deployment, attempts === 1 ? options.metrics : undefined);
    const body = JSON.stringify(upstreamCodec.buildRequest(ir, provider.requestDefaults));
    spec = { method: 'POST', path: provider.pathFor(upstreamFormat), headers: upstreamHeaders, body, ...timeouts };
    const encodeOptions = { requestedModel: call.requestedModel, includeUsage: includeUsageRequested(call.body), request: ir, clientBody: call.body };
    relay = call.stream
      ? new TranslatingStreamRelay(upstreamCodec.createStreamDecoder(), clientCodec.createStreamEncoder(encodeOptions), options.streamKeepaliveMs, res, call, deployment, headers, observers)
      : new TranslatingJsonRelay(upstreamCodec.createStreamDecoder(), clientCodec.createAccumulator(encodeOptions), res, call, deployment, headers, observers);
  }
  if (options.validateStreams && call.stream) relay.checkStream(streamCheckFor(call.clientFormat));
  const failure = clientCodec?.streamFailure;
  if (failure) relay.mapTerminalErrors((error) => ({ message: failure.message(error), code: failure.code(error) }));
  relay.attach(dispatchUpstream(provider.dispatcher, provider.origin, spec, relay));
  return relay;
}

function includeUsageRequested(body: JsonObject): boolean {
  const options = body['stream_options'];
  return typeof options === 'object' && options !== null && !Array.isArray(options) && options['include_usage'] === true;
}

/**
 * A hosted tool the upstream cannot run is removed from the request; the
 * client is told in a header, operators in a metric and a log line.
 */
function reportDroppedTools(tools: readonly string[], headers: string[], call: PreparedCall, deployment: Deployment, metrics: GatewayMetrics | undefined): void {
  const labels = tools.map(toolLabel);
  headers.push('x-tollgate-dropped-tools', [...new Set(labels)].join(', '));
  if (!metrics) return;
  for (const tool of labels) metrics.droppedTools.inc({ tool, provider: deployment.provider.name });
  call.ctx.log.info({ dropped_tools: tools, provider: deployment.provider.name }, 'dropped tools the upstream cannot run');
}

/** Hosted tool types of the Responses API; anything else a client invents is reported as `other` (bounded labels, safe headers). */
const KNOWN_HOSTED_TOOLS = new Set([
  'web_search',
  'web_search_preview',
  'web_search_preview_2025_03_11',
  'file_search',
  'code_interpreter',
  'computer_use_preview',
  'computer_use',
  'image_generation',
  'local_shell',
  'shell',
  'tool_search',
  'mcp',
  'apply_patch',
]);

function toolLabel(type: string): string {
  return KNOWN_HOSTED_TOOLS.has(type) ? type : 'other';
}
