/**
 * A structural fake of @kbn/config-schema with the behaviours our config relies on: defaults
 * for missing keys, numeric strings accepted as numbers, 'true'/'false' as booleans, unknown
 * object keys rejected, and errors naming the key ("[partitions]: ...").
 */
class ValidationError extends Error {}

interface Type<V> {
  validate(value: unknown, context?: unknown, namespace?: string): V;
}

function fail(path: string, message: string): never {
  throw new ValidationError(path ? `[${path}]: ${message}` : message);
}

function withDefault<V>(check: (v: unknown, path: string) => V, defaultValue?: V): Type<V> {
  return {
    validate(value, _ctx, path = '') {
      if (value === undefined) {
        if (defaultValue !== undefined) return defaultValue;
        fail(path, 'expected value but got [undefined]');
      }
      return check(value, path);
    },
  };
}

export const schema = {
  object<P extends Record<string, Type<unknown>>>(props: P) {
    return {
      validate(value: unknown, ctx?: unknown, path = '') {
        const v = value === undefined ? {} : value;
        if (typeof v !== 'object' || v === null || Array.isArray(v))
          fail(path, 'expected a plain object value');
        for (const k of Object.keys(v)) {
          if (!(k in props)) fail(path ? `${path}.${k}` : k, 'definition for this key is missing');
        }
        const out: Record<string, unknown> = {};
        for (const [k, t] of Object.entries(props)) {
          out[k] = t.validate((v as Record<string, unknown>)[k], ctx, path ? `${path}.${k}` : k);
        }
        return out as { [K in keyof P]: P[K] extends Type<infer V> ? V : never };
      },
    };
  },
  boolean(opts: { defaultValue?: boolean } = {}) {
    return withDefault((v, path) => {
      if (v === 'true') return true;
      if (v === 'false') return false;
      if (typeof v !== 'boolean')
        fail(path, `expected value of type [boolean] but got [${typeof v}]`);
      return v;
    }, opts.defaultValue);
  },
  string(
    opts: {
      defaultValue?: string;
      minLength?: number;
      maxLength?: number;
      validate?: (v: string) => string | void;
    } = {},
  ) {
    return withDefault((v, path) => {
      if (typeof v !== 'string')
        fail(path, `expected value of type [string] but got [${typeof v}]`);
      if (opts.minLength !== undefined && v.length < opts.minLength) {
        fail(
          path,
          `value has length [${v.length}] but it must have a minimum length of [${opts.minLength}].`,
        );
      }
      if (opts.maxLength !== undefined && v.length > opts.maxLength) {
        fail(
          path,
          `value has length [${v.length}] but it must have a maximum length of [${opts.maxLength}].`,
        );
      }
      const msg = opts.validate?.(v);
      if (typeof msg === 'string') fail(path, msg);
      return v;
    }, opts.defaultValue);
  },
  number(opts: { defaultValue?: number; min?: number; max?: number } = {}) {
    return withDefault((v, path) => {
      const n = typeof v === 'string' && v.trim() !== '' ? Number(v) : v;
      if (typeof n !== 'number' || Number.isNaN(n))
        fail(path, `expected value of type [number] but got [${typeof v}]`);
      if (opts.min !== undefined && n < opts.min)
        fail(path, `Value must be equal to or greater than [${opts.min}].`);
      if (opts.max !== undefined && n > opts.max)
        fail(path, `Value must be equal to or lower than [${opts.max}].`);
      return n;
    }, opts.defaultValue);
  },
  literal<L extends string>(value: L) {
    return withDefault((v, path) =>
      v === value ? value : fail(path, `expected value to equal [${value}]`),
    );
  },
  oneOf<T>(types: Type<T>[], opts: { defaultValue?: T } = {}) {
    return withDefault((v, path) => {
      for (const t of types) {
        try {
          return t.validate(v, undefined, path);
        } catch {
          // try the next alternative
        }
      }
      return fail(path, `types that failed validation: ${types.length} alternatives`);
    }, opts.defaultValue);
  },
};

export type TypeOf<T> = T extends Type<infer V> ? V : never;
