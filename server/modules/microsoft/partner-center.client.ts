import { AppError } from '../../lib/errors.ts';
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

interface Advice {
  problem: string;
  fix: string;
}

const adviceByCode: Record<string, Advice> = {
  900421: {
    problem: 'Partner Center requires multi-factor authentication and the sign-in did not use it.',
    fix: 'Enforce MFA for the service account (Entra admin center > Protection > Conditional Access, or per-user MFA in the Microsoft 365 admin center > Users > Active users > Multi-factor authentication), then sign in again and complete the MFA prompt.',
  },
  401: {
    problem: 'Partner Center did not accept the sign-in (expired or not meant for Partner Center).',
    fix: 'Sign in again with the service account.',
  },
  403: {
    problem: 'Partner Center says the service account may not do this: it lacks the Admin Agent role.',
    fix: 'In Partner Center open Account settings > User management, select the service account and tick "Admin agent"; this also adds it to the AdminAgents group in Entra ID. Then run the check again.',
  },
  404: {
    problem: 'Partner Center does not know this object.',
    fix: 'Check that the customer belongs to this partner account.',
  },
  429: {
    problem: 'Partner Center is limiting how fast we may call it.',
    fix: 'Wait a minute and try again; nothing needs to change on your side.',
  },
};

/** A refusal by Partner Center. `status` is ours (400 refused, 503 busy/unavailable); `partnerCenterStatus` and `partnerCenterCode` are Microsoft's. */
export class PartnerCenterError extends AppError {
  readonly fix: string | undefined;

  constructor(
    readonly partnerCenterStatus: number,
    readonly partnerCenterCode: number | string,
    readonly partnerCenterDescription: string,
    context: string,
    retryAfterSeconds?: number,
  ) {
    const advice = adviceByCode[String(partnerCenterCode)] ?? adviceByCode[String(partnerCenterStatus)] ?? (partnerCenterStatus >= 500 ? {
      problem: 'Partner Center is temporarily unavailable.',
      fix: 'Try again in a few minutes; nothing needs to change on your side.',
    } : undefined);
    const unavailable = partnerCenterStatus === 429 || partnerCenterStatus >= 500;
    super(
      unavailable ? 503 : 400,
      `MICROSOFT_PARTNER_CENTER_${partnerCenterCode}`,
      advice ? `${context}: ${advice.problem} ${advice.fix}` : `${context}: Partner Center answered ${partnerCenterStatus} (${partnerCenterCode})${partnerCenterDescription ? `: "${partnerCenterDescription}"` : '.'}`,
      {
        partnerCenterStatus,
        partnerCenterCode,
        ...(unavailable ? { retryAfterSeconds: retryAfterSeconds ?? 30 } : {}),
      },
    );
    this.fix = advice?.fix;
  }
}

export function createPartnerCenterClient(deps: { baseUrl: string; http: MicrosoftHttp }) {
  const root = deps.baseUrl.replace(/\/+$/, '');

  async function get<T>(token: string, path: string, context: string, headers: Record<string, string> = {}, correlationId?: string): Promise<T> {
    const response = await deps.http.requestJson<T>(`${root}${path}`, { token, headers, ...(correlationId ? { correlationId } : {}) });
    if (response.status >= 400) throw toPartnerCenterError(response as MicrosoftResponse<unknown>, context);
    return response.body;
  }

  return {
    /**
     * One page of the partner's customers. The first call passes no continuation token; each
     * answer carries the token for the next page until the last. `size` at most 500 (Partner Center's maximum).
     */
    async customersPage(token: string, page: { size: number; continuationToken?: string }, options: { correlationId?: string } = {}): Promise<PcCustomerPage> {
      const size = Math.max(1, Math.min(500, Math.floor(page.size)));
      // The documented links.next is `/customers?size=N&seekOperation=Next` with the token in a header.
      const body = page.continuationToken
        ? await get<PcCollection<PcCustomer>>(token, `/customers?size=${size}&seekOperation=Next`, 'Reading your customers', { 'MS-ContinuationToken': page.continuationToken }, options.correlationId)
        : await get<PcCollection<PcCustomer>>(token, `/customers?size=${size}`, 'Reading your customers', {}, options.correlationId);
      const continuationToken = body.links?.next?.headers?.find((h) => h.key.toLowerCase() === 'ms-continuationtoken')?.value;
      return { items: body.items ?? [], totalCount: body.totalCount ?? body.items?.length ?? 0, ...(continuationToken ? { continuationToken } : {}) };
    },

    async customer(token: string, id: string): Promise<PcCustomer | null> {
      try {
        return await get<PcCustomer>(token, `/customers/${encodeURIComponent(id)}`, 'Reading a customer');
      } catch (error) {
        if (error instanceof PartnerCenterError && error.partnerCenterStatus === 404) return null;
        throw error;
      }
    },

    organizationProfile(token: string): Promise<PcOrganizationProfile> {
      return get<PcOrganizationProfile>(token, '/profiles/organization', 'Reading your Partner Center profile');
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
