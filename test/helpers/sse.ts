export interface Frame {
  id?: string;
  event?: string;
  data?: any;
  retry?: number;
}

/** An SSE connection read frame by frame, as EventSource would. */
export async function openStream(url: string, headers: Record<string, string> = {}) {
  const res = await fetch(url, { headers });
  const reader = res.body ? res.body.getReader() : undefined;
  let buffer = '';
  const frames: Frame[] = [];
  const pump = async () => {
    if (!reader) return;
    for (;;) {
      const { value, done } = await reader.read().catch(() => ({ value: undefined, done: true }));
      if (done) return;
      buffer += Buffer.from(value!).toString('utf8');
      let end: number;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const frame: Frame = {};
        for (const line of block.split('\n')) {
          const [, field, text] = /^([a-z]+): ?(.*)$/.exec(line) ?? [];
          if (field === 'id') frame.id = text;
          if (field === 'event') frame.event = text;
          if (field === 'data') frame.data = JSON.parse(text);
          if (field === 'retry') frame.retry = Number(text);
        }
        frames.push(frame);
      }
    }
  };
  void pump();
  return {
    status: res.status,
    frames,
    attempts: () => frames.filter((f) => f.event === 'attempt'),
    close: () => reader?.cancel().catch(() => undefined),
  };
}
