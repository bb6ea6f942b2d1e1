'use strict';
const { daemonUrl } = require('./lib/daemon');

module.exports = {
  type: 'custom',
  fields: [
    {
      key: 'url',
      label: 'vidhook URL',
      type: 'string',
      required: true,
      helpText:
        'The HTTPS address Zapier reaches your vidhook daemon at, e.g. `https://vidhook.example.com` (a reverse proxy or tunnel in front of `vidhook serve`).',
    },
    {
      key: 'token',
      label: 'Token',
      type: 'password',
      required: true,
      helpText: 'The token the daemon was started with (`vidhook serve --token …` or `VIDHOOK_TOKEN`).',
    },
  ],
  test: async (z, bundle) => {
    const response = await z.request({ url: `${daemonUrl(z, bundle)}/api/integrations/zapier/me` });
    return response.data;
  },
  // bundle.inputData is what the test answered: { ok, service, version }.
  connectionLabel: (z, bundle) => {
    const host = new URL(bundle.authData.url).host;
    return bundle.inputData.version ? `vidhook ${bundle.inputData.version} at ${host}` : `vidhook at ${host}`;
  },
};
