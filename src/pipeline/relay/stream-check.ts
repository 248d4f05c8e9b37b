import { SseParser } from '../../framing/index.js';
import type { WireFormat } from '../../ir/index.js';
import { ResponsesStreamValidator } from '../../translators/openai-responses/index.js';

/**
 * Watches the bytes a client receives and reports protocol violations at the
 * end. Off by default (a debugging aid: it parses every event); turned on with
 * TOLLGATE_VALIDATE_STREAMS=1.
 */
export interface StreamCheck {
  observe(bytes: string | Buffer): void;
  finish(): string[];
}

class ResponsesStreamCheck implements StreamCheck {
  private readonly parser = new SseParser();
  private readonly validator = new ResponsesStreamValidator();

  observe(bytes: string | Buffer): void {
    for (const event of this.parser.push(bytes)) this.validate(event.data);
  }

  private validate(data: string): void {
    try {
      this.validator.push(JSON.parse(data) as unknown);
    } catch {
      this.validator.violations.push(`data is not JSON: ${data.slice(0, 60)}`);
    }
  }

  finish(): string[] {
    for (const event of this.parser.end()) this.validate(event.data);
    this.validator.end();
    return this.validator.violations;
  }
}

const checks: Partial<Record<WireFormat, () => StreamCheck>> = {
  'openai-responses': () => new ResponsesStreamCheck(),
};

export function streamCheckFor(format: WireFormat): StreamCheck | undefined {
  return checks[format]?.();
}
