import { z } from 'zod';

const text = () => z.string().trim();
const email = () =>
  z
    .string()
    .trim()
    .regex(/^[^@\s]+@[^@\s]+$/, { message: 'must look like local@domain' });
const count = () => z.number().finite().nonnegative();

// Shapes keep unknown fields (looseObject) so they pass through to webhooks.
export const videoShape = z.looseObject({
  id: text().min(1),
  title: text().optional(),
  description: text().optional(),
  url: text().optional(),
  thumbnailUrl: text().optional(),
  durationSec: count().optional(),
  width: z.number().int().positive().optional(),
  height: z.number().int().positive().optional(),
  format: text().optional(),
  prompt: text().optional(),
  model: text().optional(),
  status: text().optional(),
  createdAt: text().optional(),
  completedAt: text().optional(),
  tags: z.array(text()).optional(),
  productId: text().optional(),
});

export const userShape = z.looseObject({
  id: text().min(1),
  email: email().optional(),
  name: text().optional(),
  firstName: text().optional(),
  lastName: text().optional(),
  company: text().optional(),
  phone: text().optional(),
  country: text().optional(),
  city: text().optional(),
  ip: text().optional(),
  userAgent: text().optional(),
  plan: text().optional(),
});

export const sessionShape = z.looseObject({
  id: text().min(1),
  startedAt: text().optional(),
  endedAt: text().optional(),
  durationSec: count().optional(),
  videosGenerated: z.number().int().nonnegative().optional(),
});

export const errorShape = z.looseObject({
  code: text().optional(),
  message: text().optional(),
});

export const contextShape = z.looseObject({
  ip: text().optional(),
  userAgent: text().optional(),
  pageUrl: text().optional(),
  fbp: text().optional(),
  fbc: text().optional(),
  gaClientId: text().optional(),
});

const optionalShapes = {
  video: videoShape.optional(),
  user: userShape.optional(),
  session: sessionShape.optional(),
  error: errorShape.optional(),
  context: contextShape.optional(),
};

const required = (s: z.ZodString) => s.min(1, { message: 'is required' });

export const dataSchemas = {
  'video.generated': z.looseObject({
    ...optionalShapes,
    video: videoShape.extend({ title: required(text()) }),
    user: userShape,
  }),
  'video.completed': z.looseObject({
    ...optionalShapes,
    video: videoShape.extend({ title: required(text()), url: required(text()) }),
    user: userShape,
  }),
  'video.failed': z.looseObject({
    ...optionalShapes,
    video: videoShape,
    error: errorShape.extend({ message: required(text()) }),
    user: userShape,
  }),
  'user.registered': z.looseObject({
    ...optionalShapes,
    user: userShape.extend({ email: email() }),
  }),
  'session.started': z.looseObject({
    ...optionalShapes,
    session: sessionShape,
    user: userShape,
  }),
  'session.ended': z.looseObject({
    ...optionalShapes,
    session: sessionShape.extend({ durationSec: count() }),
    user: userShape,
  }),
} as const;

export const customDataSchema = z.record(z.string(), z.unknown());

export type BuiltinEventType = keyof typeof dataSchemas;
export type VideoGeneratedData = z.output<(typeof dataSchemas)['video.generated']>;
export type VideoCompletedData = z.output<(typeof dataSchemas)['video.completed']>;
export type VideoFailedData = z.output<(typeof dataSchemas)['video.failed']>;
export type UserRegisteredData = z.output<(typeof dataSchemas)['user.registered']>;
export type SessionStartedData = z.output<(typeof dataSchemas)['session.started']>;
export type SessionEndedData = z.output<(typeof dataSchemas)['session.ended']>;
export type Video = z.output<typeof videoShape>;
export type User = z.output<typeof userShape>;
export type Session = z.output<typeof sessionShape>;
export type EventContext = z.output<typeof contextShape>;

export interface EventDataByType {
  'video.generated': VideoGeneratedData;
  'video.completed': VideoCompletedData;
  'video.failed': VideoFailedData;
  'user.registered': UserRegisteredData;
  'session.started': SessionStartedData;
  'session.ended': SessionEndedData;
}
