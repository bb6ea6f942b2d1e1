'use strict';
// The app driven by zapier-platform-core's own tester, as Zapier runs it, against a real vidhook
// daemon and a local stand-in for Zapier's hook URL.
// zapier-platform-core prints its memory figures on every call unless it knows it runs under test.
process.env.NODE_ENV ??= 'test';
const { after, before, describe, it } = require('node:test');
const assert = require('node:assert/strict');
const zapier = require('zapier-platform-core');
const App = require('../index');
const { startDaemon } = require('./support/daemon');
const { startHook } = require('./support/hook');

zapier.tools.env.inject();
const appTester = zapier.createAppTester(App);
const TOKEN = 'zap-test-token-7f3a9c';

const completedVideo = {
  type: 'video.completed',
  video__id: 'vid_42',
  video__title: 'Launch teaser',
  video__url: 'https://cdn.example.com/vid_42.mp4',
  user__id: 'usr_7',
};

describe('the vidhook Zapier app against a real daemon', { timeout: 120_000 }, () => {
  let daemon;
  let hook;
  let authData;
  before(async () => {
    daemon = await startDaemon({ token: TOKEN, args: ['--allow-private-targets'] });
    hook = await startHook();
    authData = { url: `${daemon.url}/`, token: TOKEN };
  });
  after(async () => {
    await daemon?.stop();
    await hook?.close();
  });

  it('connects with the daemon URL and token, and labels the connection with the daemon version and host', async () => {
    const me = await appTester(App.authentication.test, { authData });
    assert.equal(me.ok, true);
    assert.equal(me.service, 'vidhook');
    const label = await appTester(App.authentication.connectionLabel, { authData, inputData: me });
    assert.equal(label, `vidhook ${me.version} at ${new URL(daemon.url).host}`);
  });

  it('refuses a wrong token, saying which token to enter', async () => {
    await assert.rejects(appTester(App.authentication.test, { authData: { ...authData, token: 'wrong' } }), /refused the token.*vidhook serve --token/);
  });

  it('refuses a URL that is not one, saying what to enter', async () => {
    await assert.rejects(appTester(App.authentication.test, { authData: { ...authData, url: 'vidhook on my laptop' } }), /is not a URL: enter the HTTPS address/);
  });

  it('subscribes a REST hook, the hook receives the event Send Event sent, and perform returns it with its id', async () => {
    const trigger = App.triggers.video_completed.operation;
    const subscription = await appTester(trigger.performSubscribe, { authData, targetUrl: hook.url });
    assert.match(subscription.id, /^zap_/);

    const other = await appTester(App.creates.send_event.operation.perform, {
      authData, inputData: { type: 'user.registered', user__id: 'usr_8', user__email: 'new@example.com' },
    });
    const sent = await appTester(App.creates.send_event.operation.perform, { authData, inputData: { ...completedVideo, id: 'evt_zap_1' } });
    assert.deepEqual(sent, { id: 'evt_zap_1', type: 'video.completed', deliveries: 1, duplicate: false });
    assert.equal(other.deliveries, 0);

    const [posted] = await hook.waitFor(1);
    assert.equal(posted.method, 'POST');
    assert.deepEqual(Object.keys(posted.body), ['id', 'type', 'timestamp', 'data']);
    const performed = await appTester(trigger.perform, { authData, subscribeData: subscription, cleanedRequest: posted.body });
    assert.equal(performed.length, 1);
    assert.equal(performed[0].id, 'evt_zap_1');
    assert.deepEqual(performed[0].data, { video: { id: 'vid_42', title: 'Launch teaser', url: 'https://cdn.example.com/vid_42.mp4' }, user: { id: 'usr_7' } });
    assert.equal(hook.received.length, 1, 'the user.registered event is not for this subscription');

    const gone = await appTester(trigger.performUnsubscribe, { authData, subscribeData: subscription });
    assert.deepEqual(gone, { id: subscription.id, deleted: true });
  });

  it('does not start a Zap for a request to the hook URL that is not a vidhook event of its type', async () => {
    const trigger = App.triggers.video_completed.operation;
    assert.deepEqual(await appTester(trigger.perform, { authData, cleanedRequest: { hello: 'world' } }), []);
    assert.deepEqual(await appTester(trigger.perform, { authData, cleanedRequest: { id: 'evt_x', type: 'video.failed' } }), []);
  });

  it('lists the newest real events of the trigger type in the Zap editor, else the built-in sample', async () => {
    await appTester(App.creates.send_event.operation.perform, { authData, inputData: { ...completedVideo, id: 'evt_list_2', video__title: 'Second' } });
    const listed = await appTester(App.triggers.video_completed.operation.performList, { authData });
    assert.deepEqual(listed.slice(0, 2).map((e) => e.id), ['evt_list_2', 'evt_zap_1']);
    assert.equal(listed[0].data.video.title, 'Second');

    const never = await appTester(App.triggers.session_ended.operation.performList, { authData });
    assert.deepEqual(never.map((e) => [e.id, e.type]), [['evt_sample', 'session.ended']]);
    assert.deepEqual(never[0], App.triggers.session_ended.operation.sample);
  });

  it('unsubscribes twice without error (the Zap can always be turned off), and nothing reaches the hook after', async () => {
    const trigger = App.triggers.video_failed.operation;
    const stopped = await startHook();
    const live = await startHook();
    try {
      const subscription = await appTester(trigger.performSubscribe, { authData, targetUrl: stopped.url });
      assert.deepEqual(await appTester(trigger.performUnsubscribe, { authData, subscribeData: subscription }), { id: subscription.id, deleted: true });
      assert.deepEqual(await appTester(trigger.performUnsubscribe, { authData, subscribeData: subscription }), { id: subscription.id, deleted: false });

      const other = await appTester(trigger.performSubscribe, { authData, targetUrl: live.url });
      const sent = await appTester(App.creates.send_event.operation.perform, {
        authData, inputData: { type: 'video.failed', video__id: 'vid_9', user__id: 'usr_7', error__message: 'GPU quota exceeded' },
      });
      assert.equal(sent.deliveries, 1);
      const stored = await daemon.request('GET', `/api/events/${sent.id}`);
      assert.deepEqual(stored.body.deliveries.map((d) => d.destination), [other.id]);
      await live.waitFor(1);
      assert.equal(stopped.received.length, 0);
    } finally {
      await stopped.close();
      await live.close();
    }
  });

  it('sends numbers, whole numbers, lists and More Data as typed event data', async () => {
    const sent = await appTester(App.creates.send_event.operation.perform, {
      authData,
      inputData: {
        ...completedVideo,
        video__durationSec: '30.5',
        video__width: '1920',
        video__tags: ['launch', 'spring'],
        video__description: '',
        more_data: { 'video.prompt': 'Slow dolly shot', 'context.pageUrl': 'https://app.example.com/studio', campaign: 'spring' },
      },
    });
    const stored = await daemon.request('GET', `/api/events/${sent.id}`);
    assert.deepEqual(stored.body.event.data, {
      video: { id: 'vid_42', title: 'Launch teaser', url: 'https://cdn.example.com/vid_42.mp4', durationSec: 30.5, width: 1920, tags: ['launch', 'spring'], prompt: 'Slow dolly shot' },
      user: { id: 'usr_7' },
      context: { pageUrl: 'https://app.example.com/studio' },
      campaign: 'spring',
    });
  });

  it('names the field when a number is not one, and sends nothing', async () => {
    await assert.rejects(
      appTester(App.creates.send_event.operation.perform, { authData, inputData: { ...completedVideo, video__width: 'wide' } }),
      /Video Width must be a whole number \(got \\"wide\\"\)/,
    );
  });

  it('passes on the daemon\'s reason when it refuses an event', async () => {
    await assert.rejects(
      appTester(App.creates.send_event.operation.perform, { authData, inputData: { type: 'user.registered', user__id: 'usr_9', user__email: 'not-an-email' } }),
      /vidhook answered 400: .*user\.email.*local@domain/,
    );
  });

  it('refuses an unknown event type and a reserved More Data path, saying what to use', async () => {
    await assert.rejects(appTester(App.creates.send_event.operation.perform, { authData, inputData: { type: 'video.exploded' } }), /choose one of video\.generated, /);
    await assert.rejects(
      appTester(App.creates.send_event.operation.perform, { authData, inputData: { ...completedVideo, more_data: { '__proto__.polluted': 'yes' } } }),
      /not a usable data path/,
    );
    assert.equal({}.polluted, undefined);
  });

  it('stores a repeated Event ID once: the second send says duplicate and creates no deliveries', async () => {
    const inputData = { ...completedVideo, id: 'evt_once' };
    await appTester(App.creates.send_event.operation.perform, { authData, inputData });
    const again = await appTester(App.creates.send_event.operation.perform, { authData, inputData });
    assert.deepEqual(again, { id: 'evt_once', type: 'video.completed', deliveries: 0, duplicate: true });
  });

  it('offers the fields of the chosen event type, required ones marked, and none before a type is chosen', async () => {
    const fields = await appTester(App.creates.send_event.operation.inputFields, { authData, inputData: { type: 'session.ended' } });
    const required = fields.filter((f) => f.required).map((f) => f.key);
    assert.deepEqual(required, ['type', 'user__id', 'session__id', 'session__durationSec']);
    assert.equal(fields.find((f) => f.key === 'session__durationSec').type, 'number');
    assert.equal(fields.find((f) => f.key === 'more_data').dict, true);
    const none = await appTester(App.creates.send_event.operation.inputFields, { authData, inputData: {} });
    assert.deepEqual(none.map((f) => f.key), ['type', 'id', 'timestamp']);
  });
});
