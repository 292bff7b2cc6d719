/*
 * Every name that crosses the wire, written once: endpoint paths, request
 * parameters, metadata members, claims. A typo becomes a compile error.
 */
#ifndef LK_OAUTH_PARAMS_H
#define LK_OAUTH_PARAMS_H

/* Endpoint paths (DESIGN §2). */
#define LK_PATH_OIDC_DISCOVERY "/.well-known/openid-configuration"
#define LK_PATH_OAUTH_METADATA "/.well-known/oauth-authorization-server"
#define LK_PATH_JWKS "/oauth2/jwks"
#define LK_PATH_AUTHORIZE "/oauth2/authorize"
#define LK_PATH_TOKEN "/oauth2/token"
#define LK_PATH_INTROSPECT "/oauth2/introspect"
#define LK_PATH_REVOKE "/oauth2/revoke"
#define LK_PATH_USERINFO "/oauth2/userinfo"
#define LK_PATH_LOGOUT "/oauth2/logout"
#define LK_PATH_REGISTER "/oauth2/register"
#define LK_PATH_CHECK "/oauth2/check"
#define LK_PATH_HEALTHZ "/healthz"
#define LK_PATH_METRICS "/metrics"

/* Authorization server metadata (RFC 8414 §2, OpenID Connect Discovery §3). */
#define LK_MD_ISSUER "issuer"
#define LK_MD_AUTHORIZATION_ENDPOINT "authorization_endpoint"
#define LK_MD_TOKEN_ENDPOINT "token_endpoint"
#define LK_MD_JWKS_URI "jwks_uri"
#define LK_MD_USERINFO_ENDPOINT "userinfo_endpoint"
#define LK_MD_REGISTRATION_ENDPOINT "registration_endpoint"
#define LK_MD_INTROSPECTION_ENDPOINT "introspection_endpoint"
#define LK_MD_REVOCATION_ENDPOINT "revocation_endpoint"
#define LK_MD_END_SESSION_ENDPOINT "end_session_endpoint"
#define LK_MD_SCOPES_SUPPORTED "scopes_supported"
#define LK_MD_RESPONSE_TYPES_SUPPORTED "response_types_supported"
#define LK_MD_RESPONSE_MODES_SUPPORTED "response_modes_supported"
#define LK_MD_GRANT_TYPES_SUPPORTED "grant_types_supported"
#define LK_MD_SUBJECT_TYPES_SUPPORTED "subject_types_supported"
#define LK_MD_ID_TOKEN_SIGNING_ALGS "id_token_signing_alg_values_supported"
#define LK_MD_TOKEN_AUTH_METHODS "token_endpoint_auth_methods_supported"
#define LK_MD_TOKEN_AUTH_SIGNING_ALGS "token_endpoint_auth_signing_alg_values_supported"
#define LK_MD_CODE_CHALLENGE_METHODS "code_challenge_methods_supported"
#define LK_MD_CLAIMS_SUPPORTED "claims_supported"
#define LK_MD_SERVICE_DOCUMENTATION "service_documentation"
#define LK_MD_AUTH_RESPONSE_ISS "authorization_response_iss_parameter_supported"

/* OAuth error codes (RFC 6749 §5.2, RFC 6750 §3.1). */
#define LK_ERR_INVALID_REQUEST "invalid_request"
#define LK_ERR_INVALID_CLIENT "invalid_client"
#define LK_ERR_INVALID_GRANT "invalid_grant"
#define LK_ERR_UNAUTHORIZED_CLIENT "unauthorized_client"
#define LK_ERR_UNSUPPORTED_GRANT_TYPE "unsupported_grant_type"
#define LK_ERR_INVALID_SCOPE "invalid_scope"
#define LK_ERR_INVALID_TOKEN "invalid_token"
#define LK_ERR_INSUFFICIENT_SCOPE "insufficient_scope"
#define LK_ERR_SERVER_ERROR "server_error"
#define LK_ERR_TEMPORARILY_UNAVAILABLE "temporarily_unavailable"

#endif
