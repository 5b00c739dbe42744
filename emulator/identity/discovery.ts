// OpenID Connect discovery, signing keys and MSAL's instance discovery, with the emulator's
// own host in every URL (Microsoft's documents point at login.microsoftonline.com).
import type { FastifyInstance, FastifyReply } from 'fastify';
import { findTenant } from '../directory.ts';
import type { EmulatorState } from '../state.ts';
import { aadErrorBody, aadsts } from './errors.ts';

const MULTI = new Set(['common', 'organizations', 'consumers']);

function tenantPathOrError(state: EmulatorState, segment: string, reply: FastifyReply): { id: string; issuerId: string } | undefined {
  if (MULTI.has(segment.toLowerCase())) return { id: segment.toLowerCase(), issuerId: '{tenantid}' };
  const tenant = findTenant(state.scenario, segment);
  if (!tenant) {
    // Discovery answers an unknown tenant with error "invalid_tenant" (AADSTS90002).
    void reply.status(400).send(aadErrorBody(aadsts.tenantNotFound(segment, 'invalid_tenant'), state.now()));
    return undefined;
  }
  return { id: tenant.id, issuerId: tenant.id };
}

export function openIdConfiguration(base: string, tenantPath: string, issuerId: string) {
  return {
    token_endpoint: `${base}/${tenantPath}/oauth2/v2.0/token`,
    token_endpoint_auth_methods_supported: ['client_secret_post', 'private_key_jwt', 'client_secret_basic'],
    jwks_uri: `${base}/${tenantPath}/discovery/v2.0/keys`,
    response_modes_supported: ['query', 'fragment', 'form_post'],
    subject_types_supported: ['pairwise'],
    id_token_signing_alg_values_supported: ['RS256'],
    response_types_supported: ['code', 'id_token', 'code id_token', 'id_token token'],
    scopes_supported: ['openid', 'profile', 'email', 'offline_access'],
    issuer: `${base}/${issuerId}/v2.0`,
    request_uri_parameter_supported: false,
    userinfo_endpoint: `${base}/oidc/userinfo`,
    authorization_endpoint: `${base}/${tenantPath}/oauth2/v2.0/authorize`,
    device_authorization_endpoint: `${base}/${tenantPath}/oauth2/v2.0/devicecode`,
    http_logout_supported: true,
    frontchannel_logout_supported: true,
    end_session_endpoint: `${base}/${tenantPath}/oauth2/v2.0/logout`,
    claims_supported: ['sub', 'iss', 'cloud_instance_name', 'cloud_instance_host_name', 'cloud_graph_host_name', 'msgraph_host', 'aud', 'exp', 'iat', 'auth_time', 'acr', 'nonce', 'preferred_username', 'name', 'tid', 'ver', 'at_hash', 'c_hash', 'email'],
    kerberos_endpoint: `${base}/${tenantPath}/kerberos`,
    tenant_region_scope: tenantPath === '{tenantid}' ? null : 'EU',
    cloud_instance_name: 'microsoftonline.com',
    cloud_graph_host_name: 'graph.windows.net',
    msgraph_host: 'graph.microsoft.com',
    rbac_url: 'https://pas.windows.net',
  };
}

export function registerDiscovery(app: FastifyInstance, state: EmulatorState): void {
  // Entra's key sets: kid = x5t (the certificate's SHA-1 thumbprint), the certificate in x5c; the
  // v2.0 set adds cloud_instance_name and the issuer the key signs for ({tenantid} on /common).
  const key = () => ({ kty: 'RSA', use: 'sig', kid: state.key.kid, x5t: state.key.x5t, n: state.key.publicJwk.n, e: state.key.publicJwk.e, x5c: [state.key.x5c] });
  const jwksV2 = (issuerId: string) => ({ keys: [{ ...key(), cloud_instance_name: 'microsoftonline.com', issuer: `${state.baseUrl}/${issuerId}/v2.0` }] });
  const jwksV1 = () => ({ keys: [key()] });

  app.get('/:tenant/v2.0/.well-known/openid-configuration', (request, reply) => {
    const { tenant } = request.params as { tenant: string };
    const resolved = tenantPathOrError(state, tenant, reply);
    if (!resolved) return reply;
    return openIdConfiguration(state.baseUrl, resolved.id, resolved.issuerId);
  });

  // v1 metadata: same keys, issuer sts.windows.net as in v1 tokens.
  app.get('/:tenant/.well-known/openid-configuration', (request, reply) => {
    const { tenant } = request.params as { tenant: string };
    const resolved = tenantPathOrError(state, tenant, reply);
    if (!resolved) return reply;
    const base = state.baseUrl;
    return {
      token_endpoint: `${base}/${resolved.id}/oauth2/token`,
      token_endpoint_auth_methods_supported: ['client_secret_post', 'private_key_jwt', 'client_secret_basic'],
      jwks_uri: `${base}/common/discovery/keys`,
      response_modes_supported: ['query', 'fragment', 'form_post'],
      subject_types_supported: ['pairwise'],
      id_token_signing_alg_values_supported: ['RS256'],
      response_types_supported: ['code', 'id_token', 'code id_token', 'token id_token', 'token'],
      scopes_supported: ['openid'],
      issuer: `https://sts.windows.net/${resolved.issuerId}/`,
      authorization_endpoint: `${base}/${resolved.id}/oauth2/authorize`,
      end_session_endpoint: `${base}/${resolved.id}/oauth2/logout`,
      cloud_instance_name: 'microsoftonline.com',
      msgraph_host: 'graph.microsoft.com',
    };
  });

  app.get('/:tenant/discovery/v2.0/keys', (request, reply) => {
    const resolved = tenantPathOrError(state, (request.params as { tenant: string }).tenant, reply);
    return resolved ? jwksV2(resolved.issuerId) : reply;
  });
  app.get('/:tenant/discovery/keys', (request, reply) => {
    const resolved = tenantPathOrError(state, (request.params as { tenant: string }).tenant, reply);
    return resolved ? jwksV1() : reply;
  });

  // MSAL's instance discovery (only called when knownAuthorities is not set).
  app.get('/common/discovery/instance', (request) => {
    const q = request.query as Record<string, string | undefined>;
    const host = new URL(state.baseUrl).host;
    let tenantPath = 'common';
    if (q.authorization_endpoint) {
      try {
        tenantPath = new URL(q.authorization_endpoint).pathname.split('/')[1] || 'common';
      } catch { /* keep common */ }
    }
    return {
      tenant_discovery_endpoint: `${state.baseUrl}/${tenantPath}/v2.0/.well-known/openid-configuration`,
      'api-version': '1.1',
      metadata: [{ preferred_network: host, preferred_cache: host, aliases: [host] }],
    };
  });
}

/** The JSON MSAL's `authorityMetadata` option wants, pointing at this emulator. */
export function msalAuthorityMetadata(baseUrl: string, tenantId: string): string {
  const config = openIdConfiguration(baseUrl, tenantId, MULTI.has(tenantId.toLowerCase()) ? '{tenantid}' : tenantId);
  return JSON.stringify({
    issuer: config.issuer,
    authorization_endpoint: config.authorization_endpoint,
    token_endpoint: config.token_endpoint,
    end_session_endpoint: config.end_session_endpoint,
    jwks_uri: config.jwks_uri,
  });
}
