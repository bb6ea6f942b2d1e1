import { z } from 'zod';

interface SettingMeta {
  secret?: boolean;
  description?: string;
  [key: string]: unknown;
}

/** Marks a setting as secret: masked everywhere, prompted without echo. */
export function secret<T extends z.ZodType>(schema: T, description?: string): T {
  return schema.meta({ secret: true, description }) as T;
}

export function described<T extends z.ZodType>(schema: T, description: string): T {
  return schema.meta({ description }) as T;
}

export function settingMeta(schema: z.ZodType): SettingMeta {
  let current: z.ZodType | undefined = schema;
  while (current) {
    const meta = current.meta() as SettingMeta | undefined;
    if (meta) return meta;
    const unwrap: (() => z.ZodType) | undefined = (current as unknown as { unwrap?: () => z.ZodType }).unwrap;
    current = typeof unwrap === 'function' ? unwrap.call(current) : undefined;
  }
  return {};
}

export interface SettingInfo {
  key: string;
  secret: boolean;
  required: boolean;
  description: string;
}

export function describeSettings(settings: z.ZodObject<z.ZodRawShape>): SettingInfo[] {
  return Object.entries(settings.shape).map(([key, schema]) => {
    const meta = settingMeta(schema as z.ZodType);
    return {
      key,
      secret: meta.secret === true,
      required: !(schema as z.ZodType).safeParse(undefined).success,
      description: meta.description ?? '',
    };
  });
}

export function secretKeys(settings: z.ZodObject<z.ZodRawShape>): string[] {
  return describeSettings(settings)
    .filter((s) => s.secret)
    .map((s) => s.key);
}

/** Every string inside the settings marked secret (a list of rotated secrets included). */
export function secretValuesOf(schema: z.ZodObject<z.ZodRawShape>, settings: unknown): string[] {
  const values: string[] = [];
  const collect = (value: unknown): void => {
    if (typeof value === 'string') {
      if (value.length > 0) values.push(value);
    } else if (Array.isArray(value)) value.forEach(collect);
    else if (value && typeof value === 'object') Object.values(value).forEach(collect);
  };
  const given = (settings ?? {}) as Record<string, unknown>;
  for (const key of secretKeys(schema)) collect(given[key]);
  return values;
}

/** An http(s) URL. */
export const httpUrl = () =>
  z
    .string()
    .trim()
    .url({ message: 'must be an http(s) URL' })
    .refine((value) => /^https?:\/\//i.test(value), { message: 'must be an http(s) URL' });

/** An origin (scheme://host[:port]) that replaces a service's own host. */
export const baseUrl = () =>
  httpUrl()
    .transform((value) => value.replace(/\/+$/, ''))
    .optional();
