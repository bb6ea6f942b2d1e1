import type { BuiltinEventType } from './schemas.js';

export const BUILTIN_EVENT_TYPES = [
  'video.generated',
  'video.completed',
  'video.failed',
  'user.registered',
  'session.started',
  'session.ended',
] as const satisfies readonly BuiltinEventType[];

export const EVENT_DESCRIPTIONS: Record<BuiltinEventType, string> = {
  'video.generated': 'The generator produced a video (it may still be processing).',
  'video.completed': 'A video is ready to watch.',
  'video.failed': 'Video generation failed.',
  'user.registered': 'A new user signed up.',
  'session.started': 'A user started an editing or generation session.',
  'session.ended': 'An editing or generation session ended.',
};

export function isBuiltinEventType(type: string): type is BuiltinEventType {
  return (BUILTIN_EVENT_TYPES as readonly string[]).includes(type);
}
