import type { HubspotSettings } from './settings.js';

export const GLOBAL_HOST = 'https://api.hubapi.com';

/** The API origin: the override, else the hublet the token names (pat-eu1-… → api-eu1), else the global host. */
export function hubspotOrigin(settings: Pick<HubspotSettings, 'accessToken' | 'baseUrl'>): string {
  if (settings.baseUrl) return settings.baseUrl;
  const hublet = /^pat-([a-z]{2,3}\d+)-/i.exec(settings.accessToken)?.[1]?.toLowerCase();
  return hublet && hublet !== 'na1' ? `https://api-${hublet}.hubapi.com` : GLOBAL_HOST;
}

/** `/crm/objects/2026-03/<type>`, or `/crm/v3/objects/<type>` on the legacy version. */
export function objectsPath(apiVersion: string, objectType: string): string {
  return apiVersion === 'v3' ? `/crm/v3/objects/${objectType}` : `/crm/objects/${apiVersion}/${objectType}`;
}

/** `/crm/pipelines/2026-03/<type>`, or `/crm/v3/pipelines/<type>` on the legacy version. */
export function pipelinesPath(apiVersion: string, objectType: string): string {
  return apiVersion === 'v3' ? `/crm/v3/pipelines/${objectType}` : `/crm/pipelines/${apiVersion}/${objectType}`;
}
