import type { BuiltinEventType } from './schemas.js';

const user = {
  id: 'usr_8f3k2m',
  email: 'maya.chen@example.com',
  name: 'Maya Chen',
  firstName: 'Maya',
  lastName: 'Chen',
  company: 'Northwind Studio',
  phone: '+1 415 555 0134',
  country: 'US',
  city: 'San Francisco',
  plan: 'pro',
};

const context = {
  ip: '203.0.113.42',
  userAgent: 'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15',
  pageUrl: 'https://app.example.com/studio',
  fbp: 'fb.1.1732736400000.1098115397',
  gaClientId: '1197596843.1732736400',
};

const video = {
  id: 'vid_2xq9c7',
  title: 'Product launch teaser',
  description: 'A 30-second teaser for the spring collection, cinematic style.',
  prompt: 'Slow dolly shot across a sunlit studio, spring jackets on mannequins, soft film grain',
  model: 'gen-4-turbo',
  durationSec: 30,
  width: 1920,
  height: 1080,
  format: 'mp4',
  tags: ['launch', 'spring'],
  createdAt: '2026-11-27T19:38:12.000Z',
};

// Samples are functions so callers get a fresh object they may mutate.
export const SAMPLES: Record<BuiltinEventType, () => Record<string, unknown>> = {
  'video.generated': () => ({
    video: { ...video, status: 'processing' },
    user: { ...user },
    context: { ...context },
  }),
  'video.completed': () => ({
    video: {
      ...video,
      status: 'ready',
      url: 'https://cdn.example.com/videos/vid_2xq9c7.mp4',
      thumbnailUrl: 'https://cdn.example.com/videos/vid_2xq9c7.jpg',
      completedAt: '2026-11-27T19:40:00.000Z',
    },
    user: { ...user },
    context: { ...context },
  }),
  'video.failed': () => ({
    video: { id: video.id, title: video.title, prompt: video.prompt, model: video.model, status: 'failed' },
    error: { code: 'content_policy', message: 'The prompt was flagged by the content policy filter.' },
    user: { ...user },
    context: { ...context },
  }),
  'user.registered': () => ({
    user: { ...user },
    context: { ...context },
  }),
  'session.started': () => ({
    session: { id: 'ses_k41n0p', startedAt: '2026-11-27T19:20:00.000Z' },
    user: { ...user },
    context: { ...context },
  }),
  'session.ended': () => ({
    session: {
      id: 'ses_k41n0p',
      startedAt: '2026-11-27T19:20:00.000Z',
      endedAt: '2026-11-27T19:45:30.000Z',
      durationSec: 1530,
      videosGenerated: 3,
    },
    user: { ...user },
    context: { ...context },
  }),
};
