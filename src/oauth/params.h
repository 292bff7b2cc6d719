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

/*
 * Client metadata (RFC 7591 §2 and §3.2.1, RFC 7592 §3, OpenID Connect
 * Dynamic Client Registration §2) and the values latchkey understands.
 */
#define LK_CM_CLIENT_ID "client_id"
#define LK_CM_CLIENT_SECRET "client_secret"
#define LK_CM_CLIENT_ID_ISSUED_AT "client_id_issued_at"
#define LK_CM_CLIENT_SECRET_EXPIRES_AT "client_secret_expires_at"
#define LK_CM_REGISTRATION_ACCESS_TOKEN "registration_access_token"
#define LK_CM_REGISTRATION_CLIENT_URI "registration_client_uri"
#define LK_CM_CLIENT_NAME "client_name"
#define LK_CM_CLIENT_URI "client_uri"
#define LK_CM_REDIRECT_URIS "redirect_uris"
#define LK_CM_POST_LOGOUT_REDIRECT_URIS "post_logout_redirect_uris"
#define LK_CM_GRANT_TYPES "grant_types"
#define LK_CM_RESPONSE_TYPES "response_types"
#define LK_CM_TOKEN_AUTH_METHOD "token_endpoint_auth_method"
#define LK_CM_SCOPE "scope"
#define LK_CM_APPLICATION_TYPE "application_type"
#define LK_CM_ID_TOKEN_ALG "id_token_signed_response_alg"
/* latchkey's extensions, for options without a standard name (DESIGN §1). */
#define LK_CM_TOKEN_FORMAT "token_format"
#define LK_CM_LIFETIME "lifetime"
#define LK_CM_LIFECYCLE "lifecycle"
#define LK_CM_AUDIENCE "audience"
#define LK_CM_REDIRECT_STRATEGY "redirect_strategy"
/* Options dynamic registration refuses (an administrator sets them). */
#define LK_CM_FIRST_PARTY "first_party"
#define LK_CM_USER "user"
/* Values: grant types beyond records.h's, auth methods, response and app types. */
#define LK_CM_GRANT_REFRESH_TOKEN "refresh_token"
#define LK_CM_GRANT_IMPLICIT "implicit"
#define LK_CM_GRANT_JWT_BEARER "urn:ietf:params:oauth:grant-type:jwt-bearer"
#define LK_CM_AUTH_NONE "none"
#define LK_CM_AUTH_SECRET_BASIC "client_secret_basic"
#define LK_CM_AUTH_SECRET_POST "client_secret_post"
#define LK_CM_AUTH_PRIVATE_KEY_JWT "private_key_jwt"
#define LK_CM_RESPONSE_CODE "code"
#define LK_CM_APP_WEB "web"
#define LK_CM_APP_NATIVE "native"

/*
 * Introspection (RFC 7662), revocation (RFC 7009) and the check endpoint:
 * request parameters, token_type_hint values, the metadata members naming
 * their client authentication methods (RFC 8414 §2), the members of an
 * introspection answer beyond the JWT claims (RFC 7662 §2.2), and the
 * headers a reverse proxy reads from /oauth2/check.
 */
#define LK_P_TOKEN "token"
#define LK_P_TOKEN_TYPE_HINT "token_type_hint"
#define LK_P_CHECK_SCOPE "scope"
#define LK_HINT_ACCESS_TOKEN "access_token"
#define LK_HINT_REFRESH_TOKEN "refresh_token"
#define LK_MD_INTROSPECTION_AUTH_METHODS "introspection_endpoint_auth_methods_supported"
#define LK_MD_REVOCATION_AUTH_METHODS "revocation_endpoint_auth_methods_supported"
#define LK_IR_ACTIVE "active"
#define LK_IR_TOKEN_TYPE "token_type"
#define LK_IR_BEARER "Bearer"
#define LK_HDR_AUTH_SUBJECT "X-Auth-Subject"
#define LK_HDR_AUTH_CLIENT "X-Auth-Client"
#define LK_HDR_AUTH_SCOPE "X-Auth-Scope"

/* JWT access token claims (RFC 9068 §2.2) and header typ values (§2.1, §4). */
#define LK_CLAIM_ISS "iss"
#define LK_CLAIM_SUB "sub"
#define LK_CLAIM_AUD "aud"
#define LK_CLAIM_EXP "exp"
#define LK_CLAIM_NBF "nbf"
#define LK_CLAIM_IAT "iat"
#define LK_CLAIM_JTI "jti"
#define LK_CLAIM_CLIENT_ID "client_id"
#define LK_CLAIM_SCOPE "scope"
/* ID token claims (OpenID Connect Core §2). */
#define LK_CLAIM_AUTH_TIME "auth_time"
#define LK_CLAIM_NONCE "nonce"
#define LK_CLAIM_SID "sid"
#define LK_CLAIM_AMR "amr"
#define LK_CLAIM_AT_HASH "at_hash"
#define LK_SCOPE_OPENID "openid"
#define LK_TYP_AT_JWT "at+jwt"
#define LK_TYP_AT_JWT_MEDIA "application/at+jwt"

/*
 * The token endpoint (RFC 6749 §2.3.1, §4.4 and §5.1, RFC 7521 §4.2, RFC
 * 7523 §2.1 and §3): request parameters beyond client_id and client_secret
 * (LK_CM_CLIENT_ID, LK_CM_CLIENT_SECRET), grant_type values beyond
 * LK_CM_GRANT_*, the client assertion type, the members of a token response
 * (token_type is LK_IR_TOKEN_TYPE, its value LK_IR_BEARER), the header that
 * carries Basic credentials and the algorithms assertions may use.
 */
#define LK_P_GRANT_TYPE "grant_type"
#define LK_P_SCOPE "scope"
#define LK_P_ASSERTION "assertion"
#define LK_P_CLIENT_ASSERTION "client_assertion"
#define LK_P_CLIENT_ASSERTION_TYPE "client_assertion_type"
#define LK_GT_CLIENT_CREDENTIALS "client_credentials"
#define LK_CLIENT_ASSERTION_JWT "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
#define LK_TR_ACCESS_TOKEN "access_token"
#define LK_TR_EXPIRES_IN "expires_in"
#define LK_TR_SCOPE "scope"
#define LK_TR_REFRESH_TOKEN "refresh_token"
#define LK_TR_ID_TOKEN "id_token"
#define LK_HDR_AUTHORIZATION "Authorization"
#define LK_ASSERTION_ALGS "RS256 PS256 ES256"

/*
 * The authorization endpoint (RFC 6749 §4.1, RFC 7636 §4, RFC 9207, OAuth
 * 2.0 Form Post Response Mode, OpenID Connect Core §3.1.2.1), the token
 * request of the code, refresh and password grants (§4.1.3, §6, §4.3), and
 * the pages and cookies of sign-in (DESIGN §2, §3).
 */
#define LK_P_RESPONSE_TYPE "response_type"
#define LK_P_REDIRECT_URI "redirect_uri"
#define LK_P_STATE "state"
#define LK_P_NONCE "nonce"
#define LK_P_CODE_CHALLENGE "code_challenge"
#define LK_P_CODE_CHALLENGE_METHOD "code_challenge_method"
#define LK_P_CODE_VERIFIER "code_verifier"
#define LK_P_RESPONSE_MODE "response_mode"
#define LK_P_PROMPT "prompt"
#define LK_P_MAX_AGE "max_age"
#define LK_P_LOGIN_HINT "login_hint"
#define LK_P_REQUEST "request"
#define LK_P_REQUEST_URI "request_uri"
#define LK_P_CODE "code"
#define LK_P_REFRESH_TOKEN "refresh_token"
#define LK_P_USERNAME "username"
#define LK_P_PASSWORD "password"
#define LK_P_ERROR "error"
#define LK_P_ERROR_DESCRIPTION "error_description"
#define LK_P_ISS "iss"
#define LK_GT_AUTHORIZATION_CODE "authorization_code"
#define LK_GT_REFRESH_TOKEN "refresh_token"
#define LK_GT_PASSWORD "password"
#define LK_PKCE_S256 "S256"
#define LK_PKCE_PLAIN "plain"
#define LK_MODE_QUERY "query"
#define LK_MODE_FRAGMENT "fragment"
#define LK_MODE_FORM_POST "form_post"
#define LK_PROMPT_NONE "none"
#define LK_PROMPT_LOGIN "login"
#define LK_PROMPT_CONSENT "consent"
#define LK_PROMPT_SELECT_ACCOUNT "select_account"
#define LK_SCOPE_OFFLINE_ACCESS "offline_access"
#define LK_PATH_LOGIN "/login"
#define LK_PATH_CONSENT "/consent"
#define LK_PATH_STATIC "/static/"
#define LK_PATH_SIGNUP "/signup"
#define LK_PATH_UPSTREAM "/login/upstream/" /* NAME, then NAME/callback */
#define LK_PATH_ADMIN "/admin"
#define LK_PATH_ADMIN_API "/admin/api/"
#define LK_F_REQUEST "request"
#define LK_F_CSRF "csrf"
#define LK_F_DECISION "decision"
#define LK_DECISION_ALLOW "allow"
#define LK_DECISION_DENY "deny"
#define LK_COOKIE_SESSION "lk_session"
#define LK_COOKIE_BROWSER "lk_browser"

/*
 * OpenID Connect beyond the ID token: the userinfo endpoint and its token
 * parameter (Core §5.3, RFC 6750 §2.2), the scopes that release standard
 * claims and those claims (Core §5.4, §5.1), the discovery members that say
 * what is and is not supported (Discovery §3), RP-Initiated Logout 1.0 §2,
 * and the headers of CORS for browser-based applications (Fetch standard).
 */
#define LK_P_ACCESS_TOKEN "access_token"
#define LK_SCOPE_PROFILE "profile"
#define LK_SCOPE_EMAIL "email"
#define LK_SCOPE_PHONE "phone"
#define LK_CLAIM_NAME "name"
#define LK_CLAIM_GIVEN_NAME "given_name"
#define LK_CLAIM_FAMILY_NAME "family_name"
#define LK_CLAIM_PREFERRED_USERNAME "preferred_username"
#define LK_CLAIM_UPDATED_AT "updated_at"
#define LK_CLAIM_EMAIL "email"
#define LK_CLAIM_EMAIL_VERIFIED "email_verified"
#define LK_CLAIM_PHONE_NUMBER "phone_number"
#define LK_CLAIM_PHONE_NUMBER_VERIFIED "phone_number_verified"
#define LK_MD_REQUEST_PARAMETER_SUPPORTED "request_parameter_supported"
#define LK_MD_REQUEST_URI_PARAMETER_SUPPORTED "request_uri_parameter_supported"
#define LK_MD_CLAIMS_PARAMETER_SUPPORTED "claims_parameter_supported"
#define LK_P_ID_TOKEN_HINT "id_token_hint"
#define LK_P_POST_LOGOUT_REDIRECT_URI "post_logout_redirect_uri"
#define LK_HDR_ORIGIN "Origin"
#define LK_HDR_VARY "Vary"
#define LK_HDR_ALLOW_ORIGIN "Access-Control-Allow-Origin"
#define LK_HDR_ALLOW_METHODS "Access-Control-Allow-Methods"
#define LK_HDR_ALLOW_HEADERS "Access-Control-Allow-Headers"
#define LK_HDR_EXPOSE_HEADERS "Access-Control-Expose-Headers"
#define LK_HDR_MAX_AGE "Access-Control-Max-Age"
#define LK_HDR_WWW_AUTHENTICATE "WWW-Authenticate"

/*
 * The claims request parameter (OpenID Connect Core §5.5) and its members,
 * signed userinfo responses (Core §5.3.2; Dynamic Client Registration §2
 * userinfo_signed_response_alg; Discovery §3), and the media type of a
 * signed answer (RFC 7519 §10.3.1).
 */
#define LK_P_CLAIMS "claims"
#define LK_CLAIMS_USERINFO "userinfo"
#define LK_CLAIMS_ID_TOKEN "id_token"
#define LK_CLAIMS_ESSENTIAL "essential"
#define LK_CLAIMS_VALUE "value"
#define LK_CLAIMS_VALUES "values"
#define LK_CM_USERINFO_ALG "userinfo_signed_response_alg"
#define LK_MD_USERINFO_SIGNING_ALGS "userinfo_signing_alg_values_supported"
#define LK_MEDIA_JWT "application/jwt"

#endif
