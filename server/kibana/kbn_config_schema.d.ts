/**
 * The part of @kbn/config-schema this plugin uses. Kibana provides the real package at runtime;
 * it is not published to npm, so type-checking and tests outside Kibana use this declaration and
 * the structural fake in test/fakes/kbn_config_schema.ts.
 */
declare module '@kbn/config-schema' {
  export interface Type<V> {
    readonly __value?: V;
    validate(value: unknown, context?: Record<string, unknown>, namespace?: string): V;
  }
  export type TypeOf<T extends Type<unknown>> = T extends Type<infer V> ? V : never;
  type Props = Record<string, Type<unknown>>;
  export const schema: {
    object<P extends Props>(
      props: P,
      opts?: { unknowns?: 'forbid' | 'ignore' | 'allow' },
    ): Type<{
      [K in keyof P]: TypeOf<P[K]>;
    }>;
    boolean(opts?: { defaultValue?: boolean }): Type<boolean>;
    string(opts?: {
      defaultValue?: string;
      minLength?: number;
      maxLength?: number;
      validate?: (v: string) => string | void;
    }): Type<string>;
    number(opts?: { defaultValue?: number; min?: number; max?: number }): Type<number>;
    oneOf<A, B, C>(
      types: [Type<A>, Type<B>, Type<C>],
      opts?: { defaultValue?: A | B | C },
    ): Type<A | B | C>;
    literal<L extends string>(value: L): Type<L>;
  };
}
