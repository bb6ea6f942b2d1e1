import { BUILTIN_EVENT_TYPES, buildEnvelope, SAMPLES, type Envelope } from '../../src/events/index.js';

// Events every chat connector must render: each type with its ordinary sample, and with hostile,
// oversized data (10,000-character titles, 50 tags, prompts full of pings and links).

export const CUSTOM_TYPE = 'render.queued';

const PINGS = '<!channel> <!here> @everyone @here <@U024BE7LH> <@&123456789012345678> <https://evil.example/|click me> [click](https://evil.example/) ';

function oversized(type: string): Record<string, unknown> {
  const data = structuredClone(SAMPLES[type as keyof typeof SAMPLES]()) as Record<string, Record<string, unknown>>;
  if (data.video) {
    Object.assign(data.video, {
      title: `<!channel> ${'Very long title & more <b> '.repeat(400)}`.slice(0, 10_000),
      description: 'd & < > * _ ~ '.repeat(3000),
      prompt: PINGS.repeat(150),
      model: 'm'.repeat(5000),
      tags: Array.from({ length: 50 }, (_, i) => `tag-${i}-${'x'.repeat(40)}`),
      thumbnailUrl: `https://cdn.example.com/${'a'.repeat(4000)}.jpg`,
    });
  }
  if (data.user) Object.assign(data.user, { name: '@everyone '.repeat(1000), company: '🎬'.repeat(3000) });
  if (data.error) Object.assign(data.error, { message: `<!here> ${'failed & broken '.repeat(1000)}`, code: 'c'.repeat(3000) });
  return data;
}

function customData(big: boolean): Record<string, unknown> {
  if (!big) return { queue: 'gpu-a100', position: 3, video: { id: 'vid_2xq9c7', title: 'Product launch teaser' }, tags: ['rush'] };
  return Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`field_${i}_${'k'.repeat(300)}`, `${PINGS}${'v'.repeat(5000)}`]));
}

export interface MessagingCase {
  name: string;
  event: Envelope;
}

export function messagingCases(): MessagingCase[] {
  const cases: MessagingCase[] = [];
  for (const type of BUILTIN_EVENT_TYPES) {
    cases.push({ name: `${type} (sample)`, event: buildEnvelope({ type, data: SAMPLES[type]() }) });
    cases.push({ name: `${type} (oversized)`, event: buildEnvelope({ type, data: oversized(type) }) });
  }
  for (const big of [false, true]) {
    cases.push({
      name: `${CUSTOM_TYPE} (${big ? 'oversized' : 'sample'})`,
      event: buildEnvelope({ type: CUSTOM_TYPE, data: customData(big) }, { customTypes: [CUSTOM_TYPE] }),
    });
  }
  return cases;
}

/** A fixed event for golden bodies. */
export function goldenEvent(): Envelope {
  return buildEnvelope({ id: 'evt_01JDX8GOLDEN', type: 'video.completed', timestamp: '2026-11-27T19:40:00.000Z', data: SAMPLES['video.completed']() });
}

export const HOSTILE = ['<!channel>', '<!here>', '<@U024BE7LH>', '<https://evil.example/|click me>', '](https://evil.example/)'];
