import type { Envelope, User } from '../../events/index.js';
import { PermanentError, type Call } from '../core/index.js';
import { movesForward, renderRecordName } from '../crm/pipeline.js';
import { hubspotOrigin, objectsPath, pipelinesPath } from './host.js';
import { at } from './records.js';
import type { HubspotSettings } from './settings.js';

type HubspotCall = Call<HubspotSettings>;
type DealSettings = NonNullable<HubspotSettings['deals']>;

/** Deal → contact, HubSpot-defined. */
export const DEAL_TO_CONTACT = 3;
const DEAL_NAME_LIMIT = 255;

const dealKey = (userId: string) => `deal:${userId}`;
const dealStageKey = (userId: string) => `deal-stage:${userId}`;

interface DealRecord {
  id: string;
  properties?: { dealstage?: string | null; pipeline?: string | null };
}

const dealsUrl = (call: HubspotCall, rest = '') => `${hubspotOrigin(call.settings)}${objectsPath(call.settings.apiVersion, 'deals')}${rest}`;

async function remember(call: HubspotCall, user: User, id: string, stage: string | undefined): Promise<void> {
  await call.state.set(dealKey(user.id), id);
  if (stage) await call.state.set(dealStageKey(user.id), stage);
}

/**
 * The contact's deal in the pipeline when vidhook's memory of it is lost (a new data dir): the
 * oldest deal in that pipeline associated with the contact. No custom property is needed, and a
 * renamed deal is still found.
 */
async function findDeal(call: HubspotCall, deals: DealSettings, contactId: string): Promise<DealRecord | undefined> {
  const answer = await call.sendJson<{ results?: DealRecord[] }>({
    method: 'POST',
    url: dealsUrl(call, '/search'),
    action: 'the deal search',
    json: {
      filterGroups: [
        {
          filters: [
            { propertyName: 'pipeline', operator: 'EQ', value: deals.pipeline },
            { propertyName: 'associations.contact', operator: 'EQ', value: contactId },
          ],
        },
      ],
      sorts: [{ propertyName: 'createdate', direction: 'ASCENDING' }],
      properties: ['dealname', 'dealstage', 'pipeline'],
      limit: 1,
    },
    dryRunResponse: { status: 200, body: { total: 0, results: [] } },
  });
  return answer.results?.[0];
}

function amountOf(deals: DealSettings, event: Envelope): string | undefined {
  const value = typeof deals.amount === 'number' ? deals.amount : deals.amount ? at(event.data, deals.amount) : undefined;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  if (typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value))) return value.trim();
  return undefined;
}

async function createDeal(call: HubspotCall, deals: DealSettings, event: Envelope, user: User, contactId: string, stage: string): Promise<void> {
  const amount = amountOf(deals, event);
  const properties: Record<string, string> = {
    dealname: await renderRecordName(deals.name, event, 'deals.name', DEAL_NAME_LIMIT),
    pipeline: deals.pipeline,
    dealstage: stage,
    ...(amount ? { amount } : {}),
  };
  const deal = await call.sendJson<{ id?: string }>({
    method: 'POST',
    url: dealsUrl(call),
    action: 'the deal creation',
    json: {
      properties,
      associations: [{ to: { id: contactId }, types: [{ associationCategory: 'HUBSPOT_DEFINED', associationTypeId: DEAL_TO_CONTACT }] }],
    },
    dryRunResponse: { status: 201, body: { id: 'dry-run-deal', properties } },
  });
  if (!deal.id) throw new PermanentError('HubSpot answered the deal creation without a deal id');
  await remember(call, user, deal.id, stage);
}

/** The deal's stage as HubSpot has it now (a person may have moved it); undefined when it is gone. */
async function currentStage(call: HubspotCall, dealId: string): Promise<string | null | undefined> {
  try {
    const deal = await call.sendJson<DealRecord>({
      method: 'GET',
      url: dealsUrl(call, `/${encodeURIComponent(dealId)}?properties=dealstage,pipeline`),
      action: 'the deal read',
    });
    return deal.properties?.dealstage ?? null;
  } catch (err) {
    if (err instanceof PermanentError && err.status === 404) return undefined;
    throw err;
  }
}

/**
 * Puts the person's deal at the event's stage: creates it on the first mapped event, moves it
 * forward on later ones, never back. What vidhook last set is remembered, so an event that
 * would not move the deal costs no request; one that would reads the deal first, so a stage a
 * person set since is never undone.
 */
export async function advanceDeal(call: HubspotCall, event: Envelope, user: User, contactId: () => Promise<string>): Promise<void> {
  const deals = call.settings.deals;
  const stage = deals?.stages[event.type];
  if (!deals || !stage) return;

  let dealId = await call.state.get(dealKey(user.id));
  let known: string | null | undefined = await call.state.get(dealStageKey(user.id));
  if (dealId && known !== undefined && !movesForward(deals.stages, known, stage)) return;
  if (dealId) {
    known = await currentStage(call, dealId);
    if (known === undefined) {
      // Deleted since: a new deal is found or made below.
      await call.state.delete(dealKey(user.id));
      await call.state.delete(dealStageKey(user.id));
      dealId = undefined;
    }
  }
  if (!dealId) {
    const found = await findDeal(call, deals, await contactId());
    if (!found) return createDeal(call, deals, event, user, await contactId(), stage);
    dealId = found.id;
    known = found.properties?.dealstage ?? null;
  }
  if (!movesForward(deals.stages, known ?? undefined, stage)) {
    await remember(call, user, dealId, known ?? undefined);
    return;
  }
  await call.send({
    method: 'PATCH',
    url: dealsUrl(call, `/${encodeURIComponent(dealId)}`),
    action: 'the deal stage update',
    json: { properties: { dealstage: stage } },
  });
  await remember(call, user, dealId, stage);
}

interface PipelineAnswer {
  results?: Array<{ id: string; label?: string; stages?: Array<{ id: string; label?: string }> }>;
}

/** For `doctor`: the pipeline and every mapped stage exist. Answers what it found, throws what to fix. */
export async function checkPipeline(call: HubspotCall, deals: DealSettings): Promise<string> {
  const answer = await call.sendJson<PipelineAnswer>({
    method: 'GET',
    url: `${hubspotOrigin(call.settings)}${pipelinesPath(call.settings.apiVersion, 'deals')}`,
    action: 'the deal pipelines read',
  });
  const pipelines = answer.results ?? [];
  const pipeline = pipelines.find((p) => p.id === deals.pipeline);
  if (!pipeline) {
    const known = pipelines.map((p) => `${p.id} (${p.label ?? p.id})`).join(', ') || 'none';
    throw new PermanentError(`deals.pipeline "${deals.pipeline}" is not a deal pipeline of this account; its pipelines: ${known}`);
  }
  const stageIds = new Set((pipeline.stages ?? []).map((s) => s.id));
  const missing = Object.entries(deals.stages).filter(([, id]) => !stageIds.has(id));
  if (missing.length > 0) {
    const known = (pipeline.stages ?? []).map((s) => `${s.id} (${s.label ?? s.id})`).join(', ');
    const which = missing.map(([type, id]) => `deals.stages.${type} "${id}"`).join(', ');
    throw new PermanentError(`${which} ${missing.length === 1 ? 'is not a stage' : 'are not stages'} of the pipeline "${pipeline.label ?? pipeline.id}"; its stages: ${known}`);
  }
  return `deal pipeline "${pipeline.label ?? pipeline.id}" has every mapped stage`;
}
