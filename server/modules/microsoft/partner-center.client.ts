import { AppError } from '../../lib/errors.ts';
import { classifyPartnerCenter, describeFailure } from './microsoft.failures.ts';
import type { MicrosoftHttp, MicrosoftResponse } from './microsoft.http.ts';

// Partner Center REST API (api.partnercenter.microsoft.com/v1): the customer list with its
// documented seek paging, one customer, the partner's organization profile. Refusals become a
// PartnerCenterError saying what is wrong and where in Partner Center or Entra to fix it.

export interface PcLink {
  uri: string;
  method: string;
  headers: Array<{ key: string; value: string }>;
}

export interface PcCustomer {
  id: string;
  commerceId?: string;
  companyProfile: { tenantId: string; domain: string; companyName: string };
  relationshipToPartner?: string;
  allowDelegatedAccess?: boolean;
}

export interface PcCustomerPage {
  items: PcCustomer[];
  /** Number of items in this page (Partner Center's `totalCount` counts the page, not the whole list). */
  totalCount: number;
  /** Present when there is a next page: pass it back to get it. */
  continuationToken?: string;
}

export interface PcOrganizationProfile {
  id: string;
  companyName: string;
  tenantId: string;
  domain: string;
  email?: string;
  defaultAddress?: { country?: string; city?: string };
}

interface PcCollection<T> {
  totalCount: number;
  items: T[];
  links?: { self?: PcLink; next?: PcLink };
}

/** Partner Center's error body, or the gateway's 429 body. */
interface PcErrorBody {
  code?: number | string;
  description?: string;
  statusCode?: number;
  message?: string;
}

/** A refusal by Partner Center. `status` is ours (400 refused, 503 busy/unavailable); `partnerCenterStatus` and `partnerCenterCode` are Microsoft's. */
export class PartnerCenterError extends AppError {
  /** The fix in Microsoft's portals, when the failure table knows this answer. */
  readonly fix: string | undefined;

  constructor(
    readonly partnerCenterStatus: number,
    readonly partnerCenterCode: number | string,
    readonly partnerCenterDescription: string,
    context: string,
    retryAfterSeconds?: number,
  ) {
    const failure = classifyPartnerCenter({ status: partnerCenterStatus, code: partnerCenterCode });
    const known = failure.kind !== 'operator_action';
    const unavailable = partnerCenterStatus === 429 || partnerCenterStatus >= 500;
    super(
      unavailable ? 503 : 400,
      `MICROSOFT_PARTNER_CENTER_${partnerCenterCode}`,
      known
        ? `${context}: ${describeFailure(failure, { interactive: true })}`
        : `${context}: Partner Center answered ${partnerCenterStatus} (${partnerCenterCode})${partnerCenterDescription ? `: "${partnerCenterDescription}"` : '.'}`,
      {
        partnerCenterStatus,
        partnerCenterCode,
        ...(unavailable ? { retryAfterSeconds: retryAfterSeconds ?? 30 } : {}),
      },
    );
    this.fix = known ? failure.fix : undefined;
  }
}

/**
 * The request headers Partner Center documents
 * (https://learn.microsoft.com/en-us/partner-center/developer/headers): MS-Contract-Version is
 * required ("v1"), MS-PartnerCenter-Application names the calling application, Accept is JSON.
 * MS-RequestId (one per request, the same on its retries) and MS-CorrelationId (one per operation:
 * a sync run, a preflight) are set by the HTTP layer from `PcRequestOptions`.
 */
export const PARTNER_CENTER_HEADERS = {
  'MS-Contract-Version': 'v1',
  'MS-PartnerCenter-Application': 'TotalOne Signup',
  Accept: 'application/json',
} as const;

export interface PcRequestOptions {
  /** One per operation (every page of one sync run, every call of one preflight). Default: a new GUID. */
  correlationId?: string;
  /** One per logical request; pass the same value when repeating a request that got no usable answer. Default: a new GUID. */
  requestId?: string;
}

export function createPartnerCenterClient(deps: { baseUrl: string; http: MicrosoftHttp }) {
  const root = deps.baseUrl.replace(/\/+$/, '');

  async function get<T>(token: string, path: string, context: string, headers: Record<string, string>, options: PcRequestOptions): Promise<T> {
    const response = await deps.http.requestJson<T>(`${root}${path}`, {
      token,
      headers: { ...PARTNER_CENTER_HEADERS, ...headers },
      ...(options.correlationId ? { correlationId: options.correlationId } : {}),
      ...(options.requestId ? { requestId: options.requestId } : {}),
    });
    if (response.status >= 400) throw toPartnerCenterError(response as MicrosoftResponse<unknown>, context);
    return response.body;
  }

  return {
    /**
     * One page of the partner's customers. The first call passes no continuation token; each
     * answer carries the token for the next page until the last. `size` at most 500 (Partner Center's maximum).
     */
    async customersPage(token: string, page: { size: number; continuationToken?: string }, options: PcRequestOptions = {}): Promise<PcCustomerPage> {
      const size = Math.max(1, Math.min(500, Math.floor(page.size)));
      // The documented links.next is `/customers?size=N&seekOperation=Next` with the token in a header.
      const body = page.continuationToken
        ? await get<PcCollection<PcCustomer>>(token, `/customers?size=${size}&seekOperation=Next`, 'Reading your customers', { 'MS-ContinuationToken': page.continuationToken }, options)
        : await get<PcCollection<PcCustomer>>(token, `/customers?size=${size}`, 'Reading your customers', {}, options);
      const continuationToken = body.links?.next?.headers?.find((h) => h.key.toLowerCase() === 'ms-continuationtoken')?.value;
      return { items: body.items ?? [], totalCount: body.totalCount ?? body.items?.length ?? 0, ...(continuationToken ? { continuationToken } : {}) };
    },

    async customer(token: string, id: string, options: PcRequestOptions = {}): Promise<PcCustomer | null> {
      try {
        return await get<PcCustomer>(token, `/customers/${encodeURIComponent(id)}`, 'Reading a customer', {}, options);
      } catch (error) {
        if (error instanceof PartnerCenterError && error.partnerCenterStatus === 404) return null;
        throw error;
      }
    },

    organizationProfile(token: string, options: PcRequestOptions = {}): Promise<PcOrganizationProfile> {
      return get<PcOrganizationProfile>(token, '/profiles/organization', 'Reading your Partner Center profile', {}, options);
    },
  };
}

export type PartnerCenterClient = ReturnType<typeof createPartnerCenterClient>;

function toPartnerCenterError(response: MicrosoftResponse<unknown>, context: string): PartnerCenterError {
  const body = (typeof response.body === 'object' && response.body !== null ? response.body : {}) as PcErrorBody;
  const code = body.code ?? body.statusCode ?? response.status;
  const retryAfter = Number(response.headers.get('retry-after'));
  return new PartnerCenterError(response.status, code, body.description ?? body.message ?? '', context, Number.isFinite(retryAfter) && retryAfter > 0 ? Math.ceil(retryAfter) : undefined);
}
