'use strict';
// One REST Hook trigger per event type: turning a Zap on subscribes Zapier's target URL for that
// type on the daemon, which then posts each event there (the envelope: id, type, timestamp, data).
const { daemonUrl } = require('../lib/daemon');

function eventHookTrigger(spec) {
  const subscribe = async (z, bundle) => {
    const response = await z.request({
      method: 'POST',
      url: `${daemonUrl(z, bundle)}/api/integrations/zapier/subscribe`,
      body: { hookUrl: bundle.targetUrl, event: spec.type },
    });
    return response.data;
  };

  // Answers 200 when the subscription is already gone (after a 410, or a second call), so a Zap can always be turned off.
  const unsubscribe = async (z, bundle) => {
    const response = await z.request({
      method: 'DELETE',
      url: `${daemonUrl(z, bundle)}/api/integrations/zapier/subscribe/${encodeURIComponent(bundle.subscribeData.id)}`,
    });
    return response.data;
  };

  // What the daemon posted; anything else reaching the hook URL does not start the Zap.
  const perform = (z, bundle) => {
    const event = bundle.cleanedRequest;
    return event && typeof event.id === 'string' && event.type === spec.type ? [event] : [];
  };

  // The newest real events of this type when the daemon has any, else its built-in sample.
  const performList = async (z, bundle) => {
    const response = await z.request({ url: `${daemonUrl(z, bundle)}/api/integrations/zapier/samples/${encodeURIComponent(spec.type)}` });
    return response.data;
  };

  return {
    key: spec.key,
    noun: spec.noun,
    display: { label: spec.label, description: spec.triggerDescription },
    operation: {
      type: 'hook',
      performSubscribe: subscribe,
      performUnsubscribe: unsubscribe,
      perform,
      performList,
      sample: spec.sample,
      outputFields: spec.outputFields,
    },
  };
}

module.exports = { eventHookTrigger };
