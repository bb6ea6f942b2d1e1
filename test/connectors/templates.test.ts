import { describe, expect, it } from 'vitest';
import { renderTemplate, SafeHtml, templateProblem, templateVariables, unsafeMarkup } from '../../src/connectors/templates.js';
import { buildEnvelope, SAMPLES } from '../../src/events/index.js';

const event = buildEnvelope({ type: 'video.completed', data: SAMPLES['video.completed'](), id: 'evt_tpl_1', timestamp: '2026-11-27T19:40:00.000Z' });
const vars = (extra: Record<string, unknown> = {}) => templateVariables(event, extra);

describe('templates', () => {
  it('exposes the event, the video, the user and the whole data', async () => {
    const out = await renderTemplate('{{ event.id }} {{ event.type }} {{ video.title }} {{ user.firstName }} {{ data.context.pageUrl }}', vars(), 'text');
    expect(out).toBe('evt_tpl_1 video.completed Product launch teaser Maya https://app.example.com/studio');
  });

  it('renders a known but missing field as empty, and refuses a misspelt one', async () => {
    await expect(renderTemplate('[{{ video.productId }}][{{ session.id }}]', vars(), 'text')).resolves.toBe('[][]');
    await expect(renderTemplate('{{ video.tittle }}', vars(), 'text')).rejects.toThrow(/undefined variable: video.tittle/);
  });

  it("escapes every value in html mode, even through | raw, but not the connector's own markup", async () => {
    const out = await renderTemplate('{{ t }}|{{ t | raw }}|{{ t | upcase }}|{% echo t %}|{{ block }}', vars({ t: '<b a="1">', block: new SafeHtml('<figure></figure>') }), 'html');
    expect(out).toBe('&lt;b a=&quot;1&quot;&gt;|&lt;b a=&quot;1&quot;&gt;|&lt;B A=&quot;1&quot;&gt;|&lt;b a=&quot;1&quot;&gt;|<figure></figure>');
  });

  it('has no file system: include, render and layout are not tags', () => {
    for (const source of ['{% include "a" %}', '{% render "/etc/passwd" %}', '{% layout "x" %}']) expect(templateProblem(source)).toMatch(/not found|tag/i);
    expect(templateProblem('{{ video.title | date: "%Y" }}')).toBeUndefined();
  });

  it('hides prototypes and bounds the work a template may do', async () => {
    await expect(renderTemplate('{{ video.constructor }}', vars(), 'text')).rejects.toThrow(/undefined variable/);
    await expect(renderTemplate('{% for i in (1..10000000) %}{{ i }}{% endfor %}', vars(), 'text')).rejects.toThrow();
  });

  it.each([
    ['<p>ok</p>', undefined],
    ['<p title="a onclick=b">ok</p>', undefined],
    ['<p onclick="x">', 'event handler'],
    ['<svg/onload=alert(1)>', 'event handler'],
    ['<SCRIPT src=x>', '<script>'],
    ['<a href=" javascript:x">', 'javascript'],
  ])('spots unsafe markup in %s', (html, found) => {
    const problem = unsafeMarkup(html);
    if (found === undefined) expect(problem).toBeUndefined();
    else expect(problem).toContain(found);
  });
});
