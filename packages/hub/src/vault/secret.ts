import { inspect } from 'node:util';

const REDACTED = '[redacted]';

/**
 * A secret value in memory. String conversion, JSON and util.inspect (hence console.log and pino)
 * all print "[redacted]"; only `reveal()` gives the value, so every use of it is greppable.
 */
export class Secret {
  readonly #value: string;

  constructor(value: string) {
    this.#value = value;
  }

  reveal(): string {
    return this.#value;
  }

  toString(): string {
    return REDACTED;
  }

  toJSON(): string {
    return REDACTED;
  }

  [inspect.custom](): string {
    return `Secret(${REDACTED})`;
  }
}
