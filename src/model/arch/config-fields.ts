/**
 * Typed reads of a config.json's fields, shared by the architecture modules' config parsers; every
 * failure names the file, the field and its value.
 */
export type Json = Record<string, unknown>;

/** Typed reads of config.json fields; every failure names the file, the field and its value. */
export class ConfigFields {
  constructor(
    private readonly json: Json,
    readonly source: string,
    readonly hfArchitecture: string,
  ) {}

  /** A field set to null counts as absent, as HF does for n_inner and head_dim. */
  has(field: string): boolean {
    return this.json[field] !== undefined && this.json[field] !== null;
  }

  /** A field as written, for lists and for fields passed on to another reader. */
  raw(field: string): unknown {
    return this.json[field];
  }

  nested(json: Json, field: string): ConfigFields {
    return new ConfigFields(json, `${this.source}: ${field}`, this.hfArchitecture);
  }

  int(field: string, fallback?: number): number {
    const v = this.value(field, fallback);
    if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0) throw this.invalid(field, v, 'a positive integer');
    return v;
  }

  nonNegativeInt(field: string, fallback: number): number {
    const v = this.value(field, fallback);
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) throw this.invalid(field, v, 'a non-negative integer');
    return v;
  }

  positive(field: string, fallback?: number): number {
    const v = this.value(field, fallback);
    if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) throw this.invalid(field, v, 'a positive number');
    return v;
  }

  bool(field: string, fallback: boolean): boolean {
    const v = this.value(field, fallback);
    if (typeof v !== 'boolean') throw this.invalid(field, v, 'true or false');
    return v;
  }

  string(field: string, fallback?: string): string {
    const v = this.value(field, fallback);
    if (typeof v !== 'string') throw this.invalid(field, v, 'a string');
    return v;
  }

  object(field: string): Json | null {
    if (!this.has(field)) return null;
    const v = this.json[field];
    if (typeof v !== 'object' || Array.isArray(v)) throw this.invalid(field, v, 'an object or null');
    return v as Json;
  }

  /** A token id, or the first of a list of them (generation stops at any; we need one). */
  tokenId(field: string, fallback: number | null): number | null {
    if (!this.has(field)) return fallback;
    const raw = this.json[field];
    const v = Array.isArray(raw) ? raw[0] : raw;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) throw this.invalid(field, raw, 'a token id (a non-negative integer) or a list of them');
    return v;
  }

  reject(field: string, value: boolean, what: string): void {
    if (this.json[field] === value) {
      throw new Error(`${this.source}: ${field} is ${value}, which ${what}; this is not implemented. Pick a ${this.hfArchitecture} model without it.`);
    }
  }

  private value(field: string, fallback: unknown): unknown {
    if (this.has(field)) return this.json[field];
    if (fallback === undefined) {
      throw new Error(`${this.source}: ${field} is missing; ${this.hfArchitecture} needs it. Check that this is the model's complete config.json.`);
    }
    return fallback;
  }

  private invalid(field: string, value: unknown, expected: string): Error {
    return new Error(`${this.source}: ${field} is ${describe(value)}; expected ${expected}. Check the file or download it again.`);
  }
}

export function describe(value: unknown): string {
  if (value === undefined) return 'missing';
  if (Array.isArray(value)) return `the list ${JSON.stringify(value)}`;
  return JSON.stringify(value) ?? String(value);
}

