// The generated client (openapi-typescript types from openapi/openapi.json + openapi-fetch) bound to
// a running service: the end-to-end tests call the API only through it, so a change of the document
// that breaks generated clients breaks these tests (tsc checks every call). The event stream is the
// one exception: openapi-fetch reads a body whole, so `followEvents` reads the SSE stream itself.
import createClient from 'openapi-fetch';
import type { components, paths } from '../../openapi/trailwarden-api.ts';
import { followEvents, type RunningService } from '../helpers/service.ts';

export type Operation = components['schemas']['Operation'];
export type Api = ReturnType<typeof apiOf>;

export function apiOf(service: RunningService) {
  return createClient<paths>({ baseUrl: service.url, headers: { authorization: `Bearer ${service.token}` } });
}

/** An operation a call started (202 with Location), followed to its end, as GET shows it then. */
export async function finished(
  service: RunningService,
  started: { data?: Operation; error?: unknown; response: Response },
): Promise<Operation> {
  const { data, response } = started;
  if (response.status !== 202 || !data)
    throw new Error(`expected 202, got ${response.status} ${JSON.stringify(started.error)}`);
  if (response.headers.get('location') !== data.links.self)
    throw new Error(`Location ${response.headers.get('location')} is not ${data.links.self}`);
  await followEvents(service, data.id);
  const { data: op } = await apiOf(service).GET('/v1/operations/{operationId}', {
    params: { path: { operationId: data.id } },
  });
  if (!op) throw new Error(`operation ${data.id} is gone`);
  return op;
}

/** PUT of a trail request, with If-Match of the current version when there is one. */
export async function putTrail(api: Api, accountId: string, body: components['schemas']['TrailRequest']) {
  const current = await api.GET('/v1/accounts/{accountId}/trail', { params: { path: { accountId } } });
  const etag = current.response.status === 200 ? current.response.headers.get('etag') : null;
  return api.PUT('/v1/accounts/{accountId}/trail', {
    params: { path: { accountId }, header: etag ? { 'if-match': etag } : {} },
    body,
  });
}
